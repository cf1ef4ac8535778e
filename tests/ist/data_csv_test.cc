// CSV loading: values come back exactly, and malformed files are reported by file, line and column. A
// data source's holdout splits a training file into disjoint test and training parts.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>
#include <vector>

#include "ist/data.h"
#include "ist/data_source.h"
#include "tests/ist/data_test_support.h"

namespace ist {
namespace {

using testing_support::TempDir;
using testing_support::write_bytes;

// Writes text to a fresh file in this test's temporary directory and returns the load error (or ok).
class MalformedCsv : public ::testing::Test {
 protected:
  Status load_error(const std::string& text, const CsvOptions& options, std::string* path_out) {
    *path_out = dir_.file("bad-" + std::to_string(files_++) + ".csv");
    write_bytes(*path_out, text);
    auto data = load_csv_dataset(*path_out, options);
    return data.ok() ? Status::ok_status() : data.status();
  }

 private:
  TempDir dir_;
  int files_ = 0;
};

TEST(CsvLoader, ReadsLabelsAndFeaturesExactly) {
  TempDir dir;
  const std::string path = dir.file("data.csv");
  write_bytes(path,
              "label,a,b,c\n"
              "2, 0.5, -1.25e3, 3\r\n"
              "\n"
              "0,0.1,1e-30,+7\n"
              "5,1,2,3\n");
  auto data = load_csv_dataset(path, CsvOptions{0, true, 1.0f, "", false});
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  ASSERT_EQ(data->size(), 3);
  ASSERT_EQ(data->feature_count(), 3);
  EXPECT_EQ(data->labels, (std::vector<std::int32_t>{2, 0, 5}));
  EXPECT_EQ(data->num_classes, 6);
  EXPECT_EQ(data->features(0, 0), 0.5f);
  EXPECT_EQ(data->features(0, 1), -1250.0f);
  EXPECT_EQ(data->features(0, 2), 3.0f);
  EXPECT_EQ(data->features(1, 0), 0.1f);
  EXPECT_EQ(data->features(1, 1), 1e-30f);
  EXPECT_EQ(data->features(1, 2), 7.0f);
  EXPECT_EQ(data->features(2, 2), 3.0f);
}

TEST(CsvLoader, RoundTripsFloatsPrintedWithNineDigits) {
  TempDir dir;
  const std::string path = dir.file("roundtrip.csv");
  Matrix expected(20, 4);
  std::string text;
  for (Index r = 0; r < expected.rows(); ++r) {
    text += std::to_string(r % 3);
    for (Index c = 0; c < expected.cols(); ++c) {
      expected(r, c) = static_cast<float>(r * 7 + c) / 3.0f - 11.0f;
      char buffer[32];
      std::snprintf(buffer, sizeof buffer, ",%.9g", static_cast<double>(expected(r, c)));
      text += buffer;
    }
    text += "\n";
  }
  write_bytes(path, text);
  auto data = load_csv_dataset(path);
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  EXPECT_TRUE(data->features == expected);
  EXPECT_EQ(data->num_classes, 3);
}

TEST(CsvLoader, HonoursTheLabelColumnAndTheFeatureScale) {
  TempDir dir;
  const std::string path = dir.file("pixels.csv");
  write_bytes(path, "255,1,0\n0,3,51\n");
  auto data = load_csv_dataset(path, CsvOptions{1, false, 1.0f / 255.0f, "", false});
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  EXPECT_EQ(data->labels, (std::vector<std::int32_t>{1, 3}));
  EXPECT_EQ(data->num_classes, 4);
  EXPECT_EQ(data->features(0, 0), 255.0f * (1.0f / 255.0f));
  EXPECT_EQ(data->features(1, 1), 51.0f * (1.0f / 255.0f));
}

TEST(CsvLoader, KeepsOnlyTheRowsOfTheRequestedShard) {
  TempDir dir;
  const std::string path = dir.file("rows.csv");
  std::string text;
  for (int i = 0; i < 30; ++i) text += std::to_string(i % 4) + "," + std::to_string(i) + "\n";
  write_bytes(path, text);
  const ShardSpec spec{1, 3, ShardPolicy::kIid, 5};
  auto full = load_csv_dataset(path);
  auto shard = load_csv_dataset(path, {}, spec);
  ASSERT_TRUE(full.ok() && shard.ok());
  auto rows = shard_indices(full->labels, spec);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(shard->size(), 10);
  EXPECT_EQ(shard->num_classes, 4);
  for (std::size_t i = 0; i < rows->size(); ++i) {
    EXPECT_EQ(shard->features(static_cast<Index>(i), 0), static_cast<float>((*rows)[i]));
    EXPECT_EQ(shard->labels[i], full->labels[static_cast<std::size_t>((*rows)[i])]);
  }
}

TEST(CsvLoader, ReportsAMissingFileAsNotFound) {
  auto data = load_csv_dataset("/nonexistent/ist/data.csv");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(data.status().message().find("/nonexistent/ist/data.csv"), std::string::npos);
}

TEST(CsvLoader, AFifoAsTheFileFailsAtOnceNamingIt) {
  TempDir dir;
  const std::string path = dir.file("data.csv");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto data = load_csv_dataset(path);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kInvalidArgument) << data.status().to_string();
  EXPECT_NE(data.status().message().find(path + ": is a FIFO"), std::string::npos) << data.status().to_string();
}

TEST(CsvLoader, AFifoNamedAsACsvDataSetFailsAtOnceBeforeItsHeaderIsRead) {
  TempDir dir;
  const std::string path = dir.file("train.csv");
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  DataSource source;
  source.path = path;
  source.test_path = dir.file("test.csv");
  auto data = load_dataset(source, Split::kTrain);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), ErrorCode::kInvalidArgument) << data.status().to_string();
  EXPECT_NE(data.status().message().find(path + ": is a FIFO"), std::string::npos) << data.status().to_string();
}

TEST(DataSourceHoldout, TheTestSetIsTheHeldOutShareOfTheTrainingFileAndTheTrainingSetTheRest) {
  TempDir dir;
  std::string text = "a,label\n";
  for (int i = 0; i < 20; ++i) text += std::to_string(i) + "," + std::to_string(i % 3) + "\n";
  DataSource source;
  source.path = dir.file("train.csv");
  source.holdout = 0.25;
  source.holdout_seed = 4;
  write_bytes(source.path, text);
  ASSERT_TRUE(check_data_source(source).ok()) << "no test file is needed";
  auto test = load_dataset(source, Split::kTest);
  auto train = load_dataset(source, Split::kTrain);
  ASSERT_TRUE(test.ok()) << test.status().to_string();
  ASSERT_TRUE(train.ok()) << train.status().to_string();
  ASSERT_EQ(test->size(), 5);
  ASSERT_EQ(train->size(), 15);
  std::vector<int> seen(20, 0);
  for (const Dataset* d : {&*test, &*train}) {
    for (Index r = 0; r < d->size(); ++r) {
      const std::int64_t example = d->example_index(r);
      EXPECT_EQ(d->features(r, 0), static_cast<float>(example)) << "row " << r << " is example " << example;
      ++seen[static_cast<std::size_t>(example)];
    }
  }
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
  // A trainer's shard is cut from the training part only.
  auto shard = load_dataset(source, Split::kTrain, ShardSpec{1, 3, ShardPolicy::kIid, 9});
  ASSERT_TRUE(shard.ok()) << shard.status().to_string();
  EXPECT_EQ(shard->size(), 5);
  for (Index r = 0; r < shard->size(); ++r) EXPECT_EQ(std::count(test->origin_rows.begin(), test->origin_rows.end(), shard->example_index(r)), 0);
}

TEST(DataSourceHoldout, AHoldoutBesideATestFileIsAnErrorNamingBothKeys) {
  DataSource source;
  source.path = "train.csv";
  source.test_path = "test.csv";
  source.holdout = 0.1;
  const Status s = check_data_source(source);
  EXPECT_EQ(s.message(), "data.test_path: give either data.test_path (a test file) or data.holdout (a share of the training file), not both");
}

TEST(CsvLoader, ALabelOutsideTheModelsOutputsIsNamedWithItsExampleIndex) {
  TempDir dir;
  const std::string path = dir.file("data.csv");
  write_bytes(path, "0,1\n1,2\n\n5,3\n2,4\n");
  auto data = load_csv_dataset(path);
  ASSERT_TRUE(data.ok()) << data.status().to_string();
  const Status s = check_labels(*data, 3);
  EXPECT_EQ(s.message(), path + ": example 2 has label 5, but the model has 3 outputs (labels 0 to 2)");
}

TEST_F(MalformedCsv, NamesFileLineAndColumnOfANonNumber) {
  std::string path;
  const Status status = load_error("1,2,3\n0,4,5\n1,x7,6\n", {}, &path);
  EXPECT_EQ(status.code(), ErrorCode::kCorruptData);
  EXPECT_EQ(status.message(), path + ":3: column 2: 'x7' is not a finite number");
}

TEST_F(MalformedCsv, NamesTheLineOfARowOfAnotherWidth) {
  std::string path;
  const Status status = load_error("h1,h2,h3\n1,2,3\n0,4\n", CsvOptions{0, true, 1.0f, "", false}, &path);
  EXPECT_EQ(status.code(), ErrorCode::kCorruptData);
  EXPECT_EQ(status.message(), path + ":3: the row has 2 columns, earlier rows have 3");
}

TEST_F(MalformedCsv, RejectsNegativeAndFractionalLabels) {
  std::string path;
  Status status = load_error("1,2\n-1,3\n", {}, &path);
  EXPECT_EQ(status.code(), ErrorCode::kCorruptData);
  EXPECT_EQ(status.message(), path + ":2: column 1: label '-1' is not an integer in [0, 2^24)");
  status = load_error("1,2\n0,3\n2.5,1\n", {}, &path);
  EXPECT_EQ(status.code(), ErrorCode::kCorruptData);
  EXPECT_EQ(status.message(), path + ":3: column 1: label '2.5' is not an integer in [0, 2^24)");
}

TEST_F(MalformedCsv, RejectsNonFiniteFeatures) {
  std::string path;
  const Status status = load_error("1,nan\n", {}, &path);
  EXPECT_EQ(status.code(), ErrorCode::kCorruptData);
  EXPECT_EQ(status.message(), path + ":1: column 2: 'nan' is not a finite number");
}

TEST_F(MalformedCsv, RejectsAnEmptyFileAndAHeaderAlone) {
  std::string path;
  Status status = load_error("", {}, &path);
  EXPECT_EQ(status.code(), ErrorCode::kCorruptData);
  EXPECT_EQ(status.message(), path + ": no examples (the file is empty)");
  status = load_error("label,x\n", CsvOptions{0, true, 1.0f, "", false}, &path);
  EXPECT_EQ(status.code(), ErrorCode::kCorruptData);
}

TEST_F(MalformedCsv, RejectsALabelColumnBeyondTheRow) {
  std::string path;
  const Status status = load_error("1,2\n", CsvOptions{2, false, 1.0f, "", false}, &path);
  EXPECT_EQ(status.code(), ErrorCode::kCorruptData);
  EXPECT_EQ(status.message(), path + ":1: the row has 2 columns, so there is no label column 3");
}

}  // namespace
}  // namespace ist
