// NumPy files as a user's script writes them (Debian's python3 with numpy: np.save, np.savez,
// np.savez_compressed), read back as data sets; and every bad file gives an error naming the file and
// the problem.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <optional>

#include "ist/npy_data.h"
#include "tests/ist/data_test_support.h"

namespace ist {
namespace {

using testing_support::TempDir;

// Runs a Python snippet with numpy imported as np, in `dir`; true on success.
bool python(const TempDir& dir, const std::string& code) {
  const std::string script = dir.file("make.py");
  std::ofstream(script) << "import numpy as np, os\nos.chdir(" << "'" << dir.path().string() << "')\n" << code << "\n";
  return std::system(("/usr/bin/python3 " + script).c_str()) == 0;
}

// x: 6 examples x 3 features, x[i, j] = i + j / 10; y = i % 3.
const char* kArrays = "x = np.array([[i + j / 10 for j in range(3)] for i in range(6)], dtype=np.float32)\n"
                      "y = np.array([i % 3 for i in range(6)], dtype=np.int64)\n";

void expect_the_six_examples(const Dataset& d) {
  ASSERT_EQ(d.size(), 6);
  ASSERT_EQ(d.feature_count(), 3);
  EXPECT_EQ(d.num_classes, 3);
  EXPECT_FLOAT_EQ(d.features(4, 2), 4.2f);
  EXPECT_EQ(d.labels[5], 2);
}

TEST(NpyData, ArraysSavedWithNpSaveLoadAsFeaturesAndLabels) {
  TempDir dir;
  ASSERT_TRUE(python(dir, std::string(kArrays) + "np.save('x.npy', x); np.save('y.npy', y)"));
  auto d = load_npy_dataset(dir.file("x.npy"), dir.file("y.npy"));
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  expect_the_six_examples(*d);
}

TEST(NpyData, ArchivesFromSavezAndSavezCompressedLoadByName) {
  TempDir dir;
  ASSERT_TRUE(python(dir, std::string(kArrays) +
                              "np.savez('plain.npz', images=x, classes=y); np.savez_compressed('small.npz', x=x, y=y)"));
  auto plain = load_npz_dataset(dir.file("plain.npz"), "images", "classes");
  ASSERT_TRUE(plain.ok()) << plain.status().to_string();
  expect_the_six_examples(*plain);
  auto compressed = load_npz_dataset(dir.file("small.npz"));
  ASSERT_TRUE(compressed.ok()) << compressed.status().to_string();
  expect_the_six_examples(*compressed);
}

TEST(NpyData, Float64AndUint8FeaturesAndNarrowUnsignedLabelsAreTaken) {
  TempDir dir;
  ASSERT_TRUE(python(dir, "np.save('x64.npy', np.ones((4, 2)) * 0.5); np.save('xu8.npy', np.full((4, 2), 255, np.uint8))\n"
                          "np.save('y.npy', np.array([0, 1, 1, 0], np.uint8))"));
  auto wide = load_npy_dataset(dir.file("x64.npy"), dir.file("y.npy"));
  ASSERT_TRUE(wide.ok()) << wide.status().to_string();
  EXPECT_FLOAT_EQ(wide->features(3, 1), 0.5f);
  auto bytes = load_npy_dataset(dir.file("xu8.npy"), dir.file("y.npy"));
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  EXPECT_FLOAT_EQ(bytes->features(0, 0), 1.0f) << "uint8 features are scaled to [0, 1], like IDX pixels";
}

TEST(NpyData, AShardKeepsOnlyItsRowsAndTheWholeFilesClassCount) {
  TempDir dir;
  ASSERT_TRUE(python(dir, std::string(kArrays) + "np.save('x.npy', x); np.save('y.npy', y)"));
  auto shard = load_npy_dataset(dir.file("x.npy"), dir.file("y.npy"), ShardSpec{1, 2, ShardPolicy::kIid, 4});
  ASSERT_TRUE(shard.ok()) << shard.status().to_string();
  EXPECT_EQ(shard->size(), 3);
  EXPECT_EQ(shard->num_classes, 3);
  for (Index r = 0; r < shard->size(); ++r) {
    EXPECT_EQ(shard->labels[static_cast<std::size_t>(r)], static_cast<int>(shard->features(r, 0)) % 3) << "rows keep their labels";
  }
}

Status load_error(const TempDir& dir, const std::string& x, const std::string& y) {
  return load_npy_dataset(dir.file(x), dir.file(y)).status();
}

void expect_corrupt_naming(const Status& s, const std::string& words) {
  EXPECT_EQ(s.code(), ErrorCode::kCorruptData) << s.to_string();
  EXPECT_NE(s.message().find(words), std::string::npos) << s.to_string();
}

TEST(NpyData, BadArraysAreCorruptDataNamingFileAndProblem) {
  TempDir dir;
  ASSERT_TRUE(python(dir, std::string(kArrays) +
                              "np.save('x.npy', x); np.save('y.npy', y)\n"
                              "bad = x.copy(); bad[2, 1] = np.nan; np.save('nan.npy', bad)\n"
                              "np.save('neg.npy', np.array([0, 1, -1, 0, 1, 2]))\n"
                              "np.save('floaty.npy', y.astype(np.float32)); np.save('x3d.npy', np.zeros((6, 3, 1), np.float32))\n"
                              "np.save('short.npy', y[:5]); np.save('xf.npy', np.asfortranarray(x))\n"
                              "np.save('big.npy', x.astype('>f4')); np.save('strings.npy', np.array(['a'] * 6))\n"
                              "raw = open('x.npy', 'rb').read(); open('cut.npy', 'wb').write(raw[:-7])"));
  expect_corrupt_naming(load_error(dir, "nan.npy", "y.npy"), "row 2, feature 1 is NaN");
  expect_corrupt_naming(load_error(dir, "x.npy", "neg.npy"), "label 2 is -1");
  expect_corrupt_naming(load_error(dir, "x.npy", "floaty.npy"), "use an integer type");
  expect_corrupt_naming(load_error(dir, "x3d.npy", "y.npy"), "must be 2-D");
  expect_corrupt_naming(load_error(dir, "x.npy", "short.npy"), "5 labels for 6 feature rows");
  expect_corrupt_naming(load_error(dir, "xf.npy", "y.npy"), "Fortran order");
  expect_corrupt_naming(load_error(dir, "big.npy", "y.npy"), "not little-endian");
  expect_corrupt_naming(load_error(dir, "strings.npy", "y.npy"), "features of dtype");
  expect_corrupt_naming(load_error(dir, "cut.npy", "y.npy"), "truncated");
  expect_corrupt_naming(load_error(dir, "y.npy", "y.npy"), "y.npy");
}

TEST(NpyData, CompressedFeaturesInflatedRowByRowMatchStoredOnesWholeAndInShards) {
  TempDir dir;
  ASSERT_TRUE(python(dir, "x = np.random.default_rng(3).random((500, 40), dtype=np.float32)\n"
                          "y = np.arange(500) % 7\n"
                          "np.savez('stored.npz', x=x, y=y); np.savez_compressed('deflated.npz', x=x, y=y)"));
  for (const std::optional<ShardSpec>& shard : {std::optional<ShardSpec>{}, std::optional<ShardSpec>{ShardSpec{2, 3, ShardPolicy::kIid, 5}}}) {
    auto stored = load_npz_dataset(dir.file("stored.npz"), "x", "y", shard);
    auto deflated = load_npz_dataset(dir.file("deflated.npz"), "x", "y", shard);
    ASSERT_TRUE(stored.ok()) << stored.status().to_string();
    ASSERT_TRUE(deflated.ok()) << deflated.status().to_string();
    EXPECT_EQ(deflated->size(), shard ? 166 : 500);  // 500 cut in 167, 167, 166
    EXPECT_TRUE(deflated->features == stored->features) << "the same floats, bit for bit";
    EXPECT_EQ(deflated->labels, stored->labels);
    EXPECT_EQ(deflated->origin_rows, stored->origin_rows);
  }
}

TEST(NpyData, CompressedDataThatIsBadOrEndsEarlyIsCorruptDataNamingTheMember) {
  TempDir dir;
  ASSERT_TRUE(python(dir, std::string(kArrays) +
                              "import io, struct, zipfile\n"
                              "def npy(a):\n    b = io.BytesIO(); np.save(b, a); return b.getvalue()\n"
                              // The first member's central directory entry claims the whole array; its data stops a row short.
                              "with zipfile.ZipFile('short.npz', 'w', zipfile.ZIP_DEFLATED) as z:\n"
                              "    z.writestr('x.npy', npy(x)[:-12]); z.writestr('y.npy', npy(y))\n"
                              "d = bytearray(open('short.npz', 'rb').read()); at = d.find(b'PK\\x01\\x02')\n"
                              "struct.pack_into('<I', d, at + 24, len(npy(x))); open('short.npz', 'wb').write(d)\n"
                              // Every compressed byte of x.npy overwritten: 0xFF starts a block of a type deflate lacks.
                              "np.savez_compressed('garbled.npz', x=x, y=y)\n"
                              "d = bytearray(open('garbled.npz', 'rb').read()); at = d.find(b'PK\\x01\\x02')\n"
                              "size, local = struct.unpack_from('<I', d, at + 20)[0], struct.unpack_from('<I', d, at + 42)[0]\n"
                              "start = local + 30 + struct.unpack_from('<H', d, local + 26)[0] + struct.unpack_from('<H', d, local + 28)[0]\n"
                              "d[start:start + size] = b'\\xff' * size; open('garbled.npz', 'wb').write(d)"));
  expect_corrupt_naming(load_npz_dataset(dir.file("short.npz")).status(), "short.npz:x: truncated compressed data");
  expect_corrupt_naming(load_npz_dataset(dir.file("garbled.npz")).status(), "garbled.npz:x: bad compressed data");
}

TEST(NpyData, MissingFilesFifosAndMissingArchiveMembersAreNamed) {
  TempDir dir;
  ASSERT_TRUE(python(dir, std::string(kArrays) + "np.save('y.npy', y); np.savez('a.npz', x=x, y=y)\n"
                                                 "open('notzip.npz', 'wb').write(b'hello')"));
  EXPECT_EQ(load_error(dir, "none.npy", "y.npy").code(), ErrorCode::kNotFound);
  ASSERT_EQ(mkfifo(dir.file("fifo.npy").c_str(), 0600), 0);
  const Status fifo = load_error(dir, "fifo.npy", "y.npy");
  EXPECT_EQ(fifo.code(), ErrorCode::kInvalidArgument) << "a FIFO would block the reader forever";
  EXPECT_NE(fifo.message().find("not a regular file"), std::string::npos) << fifo.to_string();
  const Status member = load_npz_dataset(dir.file("a.npz"), "images", "y").status();
  expect_corrupt_naming(member, "no array 'images' (the archive holds x.npy, y.npy)");
  expect_corrupt_naming(load_npz_dataset(dir.file("notzip.npz")).status(), "not a .npz");
}

TEST(NpyData, ALabelOutsideTheModelsOutputsIsNamedWithItsFileAndExampleIndex) {
  TempDir dir;
  ASSERT_TRUE(python(dir, std::string(kArrays) + "y[4] = 9\nnp.save('x.npy', x); np.save('y.npy', y)"));
  auto all = load_npy_dataset(dir.file("x.npy"), dir.file("y.npy"));
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  EXPECT_EQ(check_labels(*all, 3).message(),
            dir.file("y.npy") + ": example 4 has label 9, but the model has 3 outputs (labels 0 to 2)");
  int shards_holding_it = 0;
  for (int shard = 0; shard < 2; ++shard) {
    auto part = load_npy_dataset(dir.file("x.npy"), dir.file("y.npy"), ShardSpec{shard, 2, ShardPolicy::kIid, 1});
    ASSERT_TRUE(part.ok()) << part.status().to_string();
    const Status s = check_labels(*part, 3);
    if (s.ok()) continue;
    ++shards_holding_it;
    EXPECT_NE(s.message().find(": example 4 has label 9"), std::string::npos) << "index in the file, not the shard: "
                                                                              << s.to_string();
  }
  EXPECT_EQ(shards_holding_it, 1);
}

}  // namespace
}  // namespace ist
