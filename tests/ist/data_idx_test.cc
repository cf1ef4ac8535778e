// IDX loading: the real Fashion-MNIST files (installed by scripts/setup.sh), shards of them, and every
// way a file can be wrong.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "ist/data.h"
#include "ist/data_source.h"
#include "tests/ist/data_test_support.h"

namespace ist {
namespace {

using testing_support::read_bytes;
using testing_support::TempDir;
using testing_support::write_bytes;

std::string fashion_dir() {
  const char* env = std::getenv("IST_FASHION_MNIST_DIR");
  return env != nullptr ? env : "/usr/share/datasets/fashion-mnist";
}
std::string fashion_file(const std::string& name) { return fashion_dir() + "/" + name; }

std::string u32_be(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, const std::string& pixels) {
  return u32_be(0x803) + u32_be(count) + u32_be(rows) + u32_be(cols) + pixels;
}

std::string idx_labels(const std::string& labels) {
  return u32_be(0x801) + u32_be(static_cast<std::uint32_t>(labels.size())) + labels;
}

TEST(IdxLoader, LoadsTheRealFashionMnistTrainingSet) {
  auto data = load_idx_dataset(fashion_dir(), Split::kTrain);
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  EXPECT_EQ(data->size(), 60000);
  EXPECT_EQ(data->feature_count(), 784);
  EXPECT_EQ(data->labels.size(), 60000u);
  EXPECT_EQ(data->num_classes, 10);
  EXPECT_GE(data->features.minCoeff(), 0.0f);
  EXPECT_LE(data->features.maxCoeff(), 1.0f);
  EXPECT_EQ(data->features.maxCoeff(), 1.0f);  // some pixel is 255
  std::vector<int> per_class(10, 0);
  for (std::int32_t label : data->labels) {
    ASSERT_GE(label, 0);
    ASSERT_LT(label, 10);
    ++per_class[static_cast<std::size_t>(label)];
  }
  for (int count : per_class) EXPECT_EQ(count, 6000);  // Fashion-MNIST is balanced
}

TEST(IdxLoader, LoadsTheRealFashionMnistTestSet) {
  auto data = load_idx_dataset(fashion_dir(), Split::kTest);
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  EXPECT_EQ(data->size(), 10000);
  EXPECT_EQ(data->feature_count(), 784);
  EXPECT_EQ(data->labels.size(), 10000u);
  EXPECT_EQ(data->num_classes, 10);
  EXPECT_GE(data->features.minCoeff(), 0.0f);
  EXPECT_LE(data->features.maxCoeff(), 1.0f);
}

void expect_shard_matches_full_load(Split split, const ShardSpec& spec) {
  auto full = load_idx_dataset(fashion_dir(), split);
  ASSERT_TRUE(full.ok()) << full.status().to_string();
  auto shard = load_idx_dataset(fashion_dir(), split, spec);
  ASSERT_TRUE(shard.ok()) << shard.status().to_string();
  auto rows = shard_indices(full->labels, spec);
  ASSERT_TRUE(rows.ok()) << rows.status().to_string();

  ASSERT_EQ(shard->size(), static_cast<Index>(rows->size()));
  ASSERT_EQ(shard->labels.size(), rows->size());
  EXPECT_EQ(shard->feature_count(), 784);
  EXPECT_EQ(shard->num_classes, 10);  // of the whole file, not of the shard
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const auto r = static_cast<Index>((*rows)[i]);
    ASSERT_EQ(shard->labels[i], full->labels[static_cast<std::size_t>(r)]) << "shard row " << i;
    ASSERT_TRUE(shard->features.row(static_cast<Index>(i)) == full->features.row(r)) << "shard row " << i;
  }
}

TEST(IdxLoader, IidShardOfTheRealDataHoldsOnlyItsRowsAndMatchesTheFullLoad) {
  expect_shard_matches_full_load(Split::kTrain, ShardSpec{2, 5, ShardPolicy::kIid, 7});
}

TEST(IdxLoader, LabelSkewShardOfTheRealDataHoldsOnlyItsRowsAndMatchesTheFullLoad) {
  expect_shard_matches_full_load(Split::kTest, ShardSpec{3, 4, ShardPolicy::kLabelSkew, 11});
}

TEST(IdxLoader, AHoldoutTestsOnAShareOfTheTrainingFilesInsteadOfTheT10kFiles) {
  DataSource source;
  source.path = fashion_dir();
  source.holdout = 0.1;
  source.holdout_seed = 2;
  auto test = load_dataset(source, Split::kTest);
  ASSERT_TRUE(test.ok()) << test.status().to_string();
  EXPECT_EQ(test->size(), 6000);
  EXPECT_NE(test->origin.find("train-labels-idx1-ubyte"), std::string::npos) << test->origin;
  auto shard = load_dataset(source, Split::kTrain, ShardSpec{0, 2, ShardPolicy::kIid, 1});
  ASSERT_TRUE(shard.ok()) << shard.status().to_string();
  EXPECT_EQ(shard->size(), 27000);  // half of the 54,000 not held out
}

TEST(IdxLoader, ReportsAMissingFileAsNotFoundNamingThePath) {
  TempDir dir;
  const std::string labels = dir.file("labels-idx1-ubyte");
  write_bytes(labels, idx_labels(std::string("\x01\x02", 2)));
  const std::string images = dir.file("no-such-images");
  auto data = load_idx_files(images, labels);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(data.status().message().find(images), std::string::npos) << data.status().message();
}

TEST(IdxLoader, ReportsAMissingDatasetDirectoryFileNamingTheGzipName) {
  TempDir dir;
  auto data = load_idx_dataset(dir.path().string(), Split::kTest);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(data.status().message().find(dir.file("t10k-images-idx3-ubyte.gz")), std::string::npos)
      << data.status().message();
}

TEST(IdxLoader, LoadsUncompressedFilesWhenNoGzipIsPresentAndScalesPixels) {
  TempDir dir;
  // Three 2x2 images with labels 0, 3, 1: num_classes is max label + 1.
  write_bytes(dir.file("train-images-idx3-ubyte"),
              idx_images(3, 2, 2, std::string("\x00\xff\x80\x01" "\x02\x03\x04\x05" "\xff\xff\x00\x00", 12)));
  write_bytes(dir.file("train-labels-idx1-ubyte"), idx_labels(std::string("\x00\x03\x01", 3)));
  auto data = load_idx_dataset(dir.path().string(), Split::kTrain);
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  ASSERT_EQ(data->size(), 3);
  ASSERT_EQ(data->feature_count(), 4);
  EXPECT_EQ(data->num_classes, 4);
  EXPECT_EQ(data->labels, (std::vector<std::int32_t>{0, 3, 1}));
  EXPECT_EQ(data->features(0, 0), 0.0f);
  EXPECT_EQ(data->features(0, 1), 1.0f);
  EXPECT_EQ(data->features(0, 2), 128.0f / 255.0f);
  EXPECT_EQ(data->features(1, 3), 5.0f / 255.0f);
  EXPECT_EQ(data->features(2, 1), 1.0f);
}

TEST(IdxLoader, RejectsATruncatedImagesFileNamingTheByteCounts) {
  TempDir dir;
  // The header of the real training images, but only 1000 pixel bytes.
  const std::string images = dir.file("train-images-idx3-ubyte");
  write_bytes(images, idx_images(60000, 28, 28, std::string(1000, '\x10')));
  auto data = load_idx_files(images, fashion_file("train-labels-idx1-ubyte.gz"));
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(data.status().message(), images + ": truncated: expected 47040000 pixel bytes, got 1000");
}

TEST(IdxLoader, RejectsATruncatedGzipStream) {
  TempDir dir;
  const std::string whole = read_bytes(fashion_file("t10k-images-idx3-ubyte.gz"));
  ASSERT_GT(whole.size(), 1000u);
  const std::string images = dir.file("t10k-images-idx3-ubyte.gz");
  write_bytes(images, whole.substr(0, whole.size() / 2));
  auto data = load_idx_files(images, fashion_file("t10k-labels-idx1-ubyte.gz"));
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(data.status().message().rfind(images + ": truncated: expected 7840000 pixel bytes", 0), 0u)
      << data.status().message();
}

TEST(IdxLoader, RejectsATruncatedLabelsFile) {
  TempDir dir;
  const std::string labels = dir.file("labels");
  write_bytes(labels, u32_be(0x801) + u32_be(10) + std::string(4, '\x01'));
  const std::string images = dir.file("images");
  write_bytes(images, idx_images(10, 1, 1, std::string(10, '\x01')));
  auto data = load_idx_files(images, labels);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(data.status().message(), labels + ": truncated: expected 10 label bytes, got 4");
}

TEST(IdxLoader, RejectsWrongMagicNumberNamingTheFile) {
  // A labels file where the images file should be.
  const std::string labels = fashion_file("t10k-labels-idx1-ubyte.gz");
  auto data = load_idx_files(labels, labels);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(data.status().message(),
            labels + ": wrong magic number 0x00000801, expected 0x00000803 (an IDX images file)");
}

TEST(IdxLoader, RejectsImageAndLabelCountsThatDisagreeNamingBothFiles) {
  const std::string images = fashion_file("t10k-images-idx3-ubyte.gz");
  const std::string labels = fashion_file("train-labels-idx1-ubyte.gz");
  auto data = load_idx_files(images, labels);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(data.status().message(), images + ": holds 10000 images but " + labels + " holds 60000 labels");
}

TEST(IdxLoader, RejectsBytesBeyondTheDeclaredImages) {
  TempDir dir;
  const std::string images = dir.file("images");
  write_bytes(images, idx_images(2, 1, 2, std::string(5, '\x01')));
  const std::string labels = dir.file("labels");
  write_bytes(labels, idx_labels(std::string("\x00\x01", 2)));
  auto data = load_idx_files(images, labels);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kCorruptData);
  EXPECT_NE(data.status().message().find(images + ": unexpected bytes"), std::string::npos)
      << data.status().message();
}

TEST(IdxLoader, RejectsAnImageSizeOfZero) {
  TempDir dir;
  const std::string images = dir.file("images");
  write_bytes(images, idx_images(2, 0, 28, ""));
  const std::string labels = dir.file("labels");
  write_bytes(labels, idx_labels(std::string("\x00\x01", 2)));
  auto data = load_idx_files(images, labels);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kCorruptData);
  EXPECT_EQ(data.status().message(), images + ": bad image size 0 x 28");
}

TEST(IdxLoader, RejectsAShardSpecThatCannotWork) {
  auto data = load_idx_dataset(fashion_dir(), Split::kTest, ShardSpec{4, 4, ShardPolicy::kIid, 1});
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kInvalidArgument);
}


TEST(IdxLoader, ALabelOutsideTheModelsOutputsIsNamedWithItsFileAndExampleIndex) {
  TempDir dir;
  const std::string images = dir.file("images-idx3-ubyte");
  const std::string labels = dir.file("labels-idx1-ubyte");
  std::string label_bytes;
  for (int i = 0; i < 12; ++i) label_bytes.push_back(static_cast<char>(i % 3));
  label_bytes[9] = static_cast<char>(200);  // 1 of 12 labels is bad, as from a damaged file
  write_bytes(images, idx_images(12, 1, 2, std::string(24, '\x10')));
  write_bytes(labels, idx_labels(label_bytes));

  auto all = load_idx_files(images, labels);
  ASSERT_TRUE(all.ok()) << all.status().to_string();
  EXPECT_TRUE(check_labels(*all, 201).ok());
  const Status s = check_labels(*all, 3);
  ASSERT_FALSE(s.ok()) << "label 200 passed for a model with 3 outputs";
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.message(), labels + ": example 9 has label 200, but the model has 3 outputs (labels 0 to 2)");

  // In a shard the example is still named by its index in the file, not its row in the shard.
  for (int shard = 0; shard < 3; ++shard) {
    auto part = load_idx_files(images, labels, ShardSpec{shard, 3, ShardPolicy::kIid, 5});
    ASSERT_TRUE(part.ok()) << part.status().to_string();
    bool holds_it = false;
    for (std::int32_t label : part->labels) holds_it |= label == 200;
    const Status in_shard = check_labels(*part, 3);
    EXPECT_EQ(in_shard.ok(), !holds_it) << in_shard.to_string();
    if (holds_it) {
      EXPECT_NE(in_shard.message().find(": example 9 has label 200"), std::string::npos) << in_shard.to_string();
    }
  }
}

TEST(IdxLoader, AFifoAsADataFileFailsAtOnceNamingIt) {
  TempDir dir;
  const std::string images = dir.file("images-idx3-ubyte");
  const std::string labels = dir.file("labels-idx1-ubyte");
  write_bytes(images, idx_images(2, 1, 1, "\x01\x02"));
  ASSERT_EQ(::mkfifo(labels.c_str(), 0600), 0);  // opened for reading, it would block until a writer comes
  auto data = load_idx_files(images, labels);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kInvalidArgument) << data.status().to_string();
  EXPECT_EQ(data.status().message(), labels + ": is a FIFO (named pipe), not a regular file; data must be read from a file");
  auto dataset = load_idx_dataset(dir.path().string(), Split::kTrain);  // train-* do not exist
  EXPECT_EQ(dataset.status().code(), ErrorCode::kNotFound) << dataset.status().to_string();
}

TEST(IdxLoader, ADirectoryOrADeviceAsADataFileIsRefused) {
  TempDir dir;
  const std::string images = dir.file("images-idx3-ubyte");
  write_bytes(images, idx_images(2, 1, 1, "\x01\x02"));
  auto from_directory = load_idx_files(images, dir.path().string());
  EXPECT_EQ(from_directory.status().code(), ErrorCode::kInvalidArgument) << from_directory.status().to_string();
  EXPECT_NE(from_directory.status().message().find("is a directory"), std::string::npos);
  auto from_device = load_idx_files(images, "/dev/zero");
  EXPECT_EQ(from_device.status().code(), ErrorCode::kInvalidArgument) << from_device.status().to_string();
  EXPECT_NE(from_device.status().message().find("/dev/zero: is a character device"), std::string::npos);
}

}  // namespace
}  // namespace ist
