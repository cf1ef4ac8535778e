// The host's decompressed copies of gzip data files: built once, used while they verify, rebuilt when the
// source changes or the copy is cut short or damaged, built once when several loaders start at once; and a
// shard loaded through the cache is the shard loaded without it.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "ist/data.h"
#include "ist/decompressed_cache.h"
#include "ist/random.h"
#include "tests/ist/data_test_support.h"
#include "tests/ist/test_data.h"

namespace ist {
namespace {

namespace fs = std::filesystem;
using testing_support::read_bytes;
using testing_support::TempDir;
using testing_support::write_bytes;

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(rng.uniform_below(16));  // compressible, like pixels
  return bytes;
}

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

std::vector<std::string> copies_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".lock")) names.push_back(name);
  }
  return names;
}

TEST(DecompressedCache, TheFirstLoadBuildsTheCopyAndTheNextOnesUseIt) {
  TempDir dir;
  const std::string data = random_bytes(300000, 1);
  write_gzip(dir.file("images.gz"), data);
  auto first = decompressed_copy(dir.file("images.gz"), dir.file("cache"));
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  EXPECT_TRUE(first->built);
  EXPECT_EQ(read_bytes(first->path), data);
  auto second = decompressed_copy(dir.file("images.gz"), dir.file("cache"));
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->built);
  EXPECT_EQ(second->path, first->path);
}

TEST(DecompressedCache, AChangedSourceGetsANewCopyAndTheOldOneIsRemoved) {
  TempDir dir;
  write_gzip(dir.file("images.gz"), random_bytes(300000, 1));
  auto old_copy = decompressed_copy(dir.file("images.gz"), dir.file("cache"));
  ASSERT_TRUE(old_copy.ok());
  const std::string changed = random_bytes(300001, 2);
  const fs::file_time_type before = fs::last_write_time(dir.file("images.gz"));
  write_gzip(dir.file("images.gz"), changed);
  fs::last_write_time(dir.file("images.gz"), before + std::chrono::seconds(1));  // however coarse the clock
  auto fresh = decompressed_copy(dir.file("images.gz"), dir.file("cache"));
  ASSERT_TRUE(fresh.ok()) << fresh.status().to_string();
  EXPECT_TRUE(fresh->built);
  EXPECT_EQ(read_bytes(fresh->path), changed);
  EXPECT_FALSE(fs::exists(old_copy->path));
  EXPECT_EQ(copies_in(dir.file("cache")).size(), 1u);
}

TEST(DecompressedCache, ATruncatedOrDamagedCopyIsRebuiltNeverRead) {
  TempDir dir;
  const std::string data = random_bytes(300000, 3);
  write_gzip(dir.file("images.gz"), data);
  auto copy = decompressed_copy(dir.file("images.gz"), dir.file("cache"));
  ASSERT_TRUE(copy.ok());
  fs::resize_file(copy->path, 1000);  // cut short, as by a full disk or a crash of another tool
  auto rebuilt = decompressed_copy(dir.file("images.gz"), dir.file("cache"));
  ASSERT_TRUE(rebuilt.ok());
  EXPECT_TRUE(rebuilt->built);
  EXPECT_EQ(read_bytes(rebuilt->path), data);
  std::string damaged = data;
  damaged[123456] ^= 1;  // same length, one bit flipped
  write_bytes(rebuilt->path, damaged);
  auto again = decompressed_copy(dir.file("images.gz"), dir.file("cache"));
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->built);
  EXPECT_EQ(read_bytes(again->path), data);
}

TEST(DecompressedCache, LoadersStartingAtOnceBuildTheCopyOnceAndAllReadItWhole) {
  TempDir dir;
  const std::string data = random_bytes(2000000, 4);
  write_gzip(dir.file("images.gz"), data);
  // flock locks belong to an open file, so threads that each open the lock exclude each other as
  // processes do.
  constexpr int kLoaders = 6;
  std::vector<Result<DecompressedCopy>> results(kLoaders, Status::internal("not run"));
  std::vector<std::thread> loaders;
  for (int i = 0; i < kLoaders; ++i) {
    loaders.emplace_back([&, i] { results[i] = decompressed_copy(dir.file("images.gz"), dir.file("cache")); });
  }
  for (std::thread& t : loaders) t.join();
  int built = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    built += r->built ? 1 : 0;
    EXPECT_EQ(read_bytes(r->path), data);
  }
  EXPECT_EQ(built, 1);
  EXPECT_EQ(copies_in(dir.file("cache")).size(), 1u) << "no temporary left behind";
}

TEST(DecompressedCache, AFileOfSeveralGzipMembersIsNotCachedButStillLoads) {
  TempDir dir;
  write_gzip(dir.file("a.gz"), random_bytes(1000, 5));
  write_gzip(dir.file("b.gz"), random_bytes(1000, 6));
  write_bytes(dir.file("both.gz"), read_bytes(dir.file("a.gz")) + read_bytes(dir.file("b.gz")));
  auto copy = decompressed_copy(dir.file("both.gz"), dir.file("cache"));
  ASSERT_FALSE(copy.ok());
  EXPECT_NE(copy.status().message().find("both.gz"), std::string::npos) << copy.status().to_string();
  EXPECT_TRUE(copies_in(dir.file("cache")).empty());
  auto plain = decompressed_copy(dir.file("missing.gz"), dir.file("cache"));
  EXPECT_FALSE(plain.ok());
}

// The environment switch the loader reads, set for one test and restored after it.
class CacheSetting {
 public:
  explicit CacheSetting(const std::string& value) {
    if (const char* old = std::getenv("IST_DATA_CACHE")) old_ = old;
    setenv("IST_DATA_CACHE", value.c_str(), 1);
  }
  ~CacheSetting() {
    if (old_) {
      setenv("IST_DATA_CACHE", old_->c_str(), 1);
    } else {
      unsetenv("IST_DATA_CACHE");
    }
  }

 private:
  std::optional<std::string> old_;
};

TEST(DecompressedCache, AShardOfTheRealTrainingSetIsTheSameWithAndWithoutTheCache) {
  TempDir dir;
  const ShardSpec spec{1, 4, ShardPolicy::kIid, 9};
  Result<Dataset> without = Status::internal("not loaded");
  {
    CacheSetting off("off");
    without = load_idx_dataset(testing::fashion_mnist_dir(), Split::kTrain, spec);
  }
  ASSERT_TRUE(without.ok()) << without.status().to_string();
  CacheSetting on(dir.file("cache"));
  for (int load = 0; load < 2; ++load) {  // the load that builds the copy, then one that reads it
    auto with = load_idx_dataset(testing::fashion_mnist_dir(), Split::kTrain, spec);
    ASSERT_TRUE(with.ok()) << with.status().to_string();
    EXPECT_TRUE(with->features == without->features) << "load " << load;
    EXPECT_EQ(with->labels, without->labels);
    EXPECT_EQ(with->origin_rows, without->origin_rows);
  }
  EXPECT_EQ(copies_in(dir.file("cache")).size(), 1u) << "the training images only (the labels are small)";
}

}  // namespace
}  // namespace ist
