// safetensors: bit-for-bit round trips, the exact byte layout a standard reader expects, and a
// corrupt_data error naming the path for every malformed file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>

#include "ist/safetensors.h"
#include "tests/ist/data_test_support.h"

namespace ist {
namespace {

using testing_support::read_bytes;
using testing_support::TempDir;
using testing_support::write_bytes;

std::string u64_le(std::uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

// A file with the given header text (unpadded) and data section.
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return u64_le(header.size()) + header + data;
}

std::vector<std::uint32_t> bits(const std::vector<float>& values) {
  std::vector<std::uint32_t> out;
  for (float v : values) out.push_back(std::bit_cast<std::uint32_t>(v));
  return out;
}

TEST(Safetensors, RoundTripsTensorsAndMetadataBitForBit) {
  TempDir dir;
  const std::string path = dir.file("model.safetensors");
  TensorFile file;
  file.metadata = {{"format", "pt"}, {"round", "17"}, {"note", "ünïcode ok"}};
  file.tensors.push_back({"layer0.weight", {2, 3}, {1.5f, -0.0f, std::numeric_limits<float>::denorm_min(),
                                                   std::numeric_limits<float>::infinity(),
                                                   std::bit_cast<float>(0x7fc12345u), -3.25e-12f}});
  file.tensors.push_back({"layer0.bias", {3}, {0.1f, 0.2f, 0.3f}});
  file.tensors.push_back({"scalar", {}, {42.0f}});
  file.tensors.push_back({"empty", {0, 5}, {}});
  ASSERT_TRUE(save_safetensors(path, file).ok());

  auto loaded = load_safetensors(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->metadata, file.metadata);
  ASSERT_EQ(loaded->tensors.size(), file.tensors.size());
  for (std::size_t i = 0; i < file.tensors.size(); ++i) {
    // Written in the order given, so file order is the same order.
    EXPECT_EQ(loaded->tensors[i].name, file.tensors[i].name);
    EXPECT_EQ(loaded->tensors[i].shape, file.tensors[i].shape);
    EXPECT_EQ(bits(loaded->tensors[i].values), bits(file.tensors[i].values)) << file.tensors[i].name;
  }
}

TEST(Safetensors, WritesTheExactByteLayoutOfTheFormat) {
  TempDir dir;
  const std::string path = dir.file("tiny.safetensors");
  TensorFile file;
  file.metadata = {{"k", "v"}};
  file.tensors.push_back({"w", {2}, {1.0f, -2.0f}});
  ASSERT_TRUE(save_safetensors(path, file).ok());

  const std::string json = R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  ASSERT_EQ(json.size(), 79u);
  const std::string expected = u64_le(80) + json + " " +  // padded with one space to a multiple of 8
                               std::string("\x00\x00\x80\x3f" "\x00\x00\x00\xc0", 8);  // 1.0f, -2.0f little-endian
  EXPECT_EQ(read_bytes(path), expected);
}

TEST(Safetensors, LaysTensorsOutBackToBackInTheOrderGiven) {
  TempDir dir;
  const std::string path = dir.file("two.safetensors");
  TensorFile file;
  file.tensors.push_back({"b", {2, 1}, {2.0f, 3.0f}});
  file.tensors.push_back({"a", {1}, {1.0f}});
  ASSERT_TRUE(save_safetensors(path, file).ok());

  const std::string bytes = read_bytes(path);
  const std::string json =
      R"({"b":{"dtype":"F32","shape":[2,1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  const std::size_t padded = (json.size() + 7) / 8 * 8;
  ASSERT_EQ(bytes.size(), 8 + padded + 12);
  EXPECT_EQ(bytes.substr(0, 8), u64_le(padded));
  EXPECT_EQ(bytes.substr(8, json.size()), json);
  EXPECT_EQ(bytes.substr(8 + json.size(), padded - json.size()), std::string(padded - json.size(), ' '));
  EXPECT_EQ(bytes.substr(8 + padded), std::string("\x00\x00\x00\x40" "\x00\x00\x40\x40" "\x00\x00\x80\x3f", 12));
}

TEST(Safetensors, ReadsAFileWrittenByAnotherWriterInAnyKeyOrder) {
  TempDir dir;
  const std::string path = dir.file("foreign.safetensors");
  // Keys unsorted, tensor entries out of byte order, extra whitespace, no metadata.
  const std::string header =
      R"({ "y" : {"data_offsets":[4,8],"shape":[1],"dtype":"F32"}, "x":{"shape":[1],"dtype":"F32","data_offsets":[0,4]} }  )";
  write_bytes(path, safetensors_bytes(header, std::string("\x00\x00\x80\x3f" "\x00\x00\x00\x40", 8)));
  auto loaded = load_safetensors(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  ASSERT_EQ(loaded->tensors.size(), 2u);
  EXPECT_EQ(loaded->tensors[0].name, "x");  // file order: by byte offset
  EXPECT_EQ(loaded->tensors[0].values, std::vector<float>{1.0f});
  EXPECT_EQ(loaded->tensors[1].name, "y");
  EXPECT_EQ(loaded->tensors[1].values, std::vector<float>{2.0f});
  EXPECT_TRUE(loaded->metadata.empty());
}

TEST(Safetensors, ReportsAMissingFileAsNotFound) {
  auto loaded = load_safetensors("/nonexistent/ist/model.safetensors");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(loaded.status().message().find("/nonexistent/ist/model.safetensors"), std::string::npos);
}

struct MalformedCase {
  const char* what;
  std::string bytes;
  const char* expected_fragment;  // part of the message after the path
};

TEST(Safetensors, RejectsEachMalformedFileNamingThePath) {
  const std::string one_float("\x00\x00\x80\x3f", 4);
  const std::string f32_1 = R"("dtype":"F32","shape":[1])";
  const MalformedCase cases[] = {
      {"a file shorter than the length field", std::string("\x05\x00\x00", 3), "shorter than the 8-byte header"},
      {"a header length past the end", u64_le(1000) + "{}", "header length 1000 runs past the end"},
      {"malformed JSON", safetensors_bytes(R"({"w":{"dtype":)", ""), "the header is not valid JSON"},
      {"a header that is not an object", safetensors_bytes("[1,2]", ""), "not a JSON object"},
      {"a dtype other than F32",
       safetensors_bytes(R"({"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", one_float),
       "dtype F16 is not supported"},
      {"a missing dtype", safetensors_bytes(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", one_float), "no dtype"},
      {"a negative dimension",
       safetensors_bytes(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", one_float),
       "is not a list of non-negative integers"},
      {"offsets that are not a pair", safetensors_bytes(R"({"w":{)" + f32_1 + R"(,"data_offsets":[0]}})", one_float),
       "data_offsets is not a pair"},
      {"offsets past the data",
       safetensors_bytes(R"({"w":{)" + f32_1 + R"(,"data_offsets":[4,8]}})", one_float), "run past the 4-byte data"},
      {"offsets that end before they begin",
       safetensors_bytes(R"({"w":{)" + f32_1 + R"(,"data_offsets":[4,0]}})", one_float), "end before they begin"},
      {"a shape that disagrees with the byte count",
       safetensors_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", one_float),
       "needs 8 bytes but data_offsets [0,4] span 4"},
      {"overlapping tensors",
       safetensors_bytes(R"({"a":{)" + f32_1 + R"(,"data_offsets":[0,4]},"b":{)" + f32_1 +
                             R"(,"data_offsets":[0,4]}})",
                         one_float),
       "overlap another tensor"},
      {"a gap between tensors",
       safetensors_bytes(R"({"a":{)" + f32_1 + R"(,"data_offsets":[4,8]}})", one_float + one_float),
       "leave a gap after byte 0"},
      {"bytes that belong to no tensor", safetensors_bytes(R"({"a":{)" + f32_1 + R"(,"data_offsets":[0,4]}})",
                                                           one_float + "xx"),
       "2 bytes after the last tensor belong to none"},
      {"metadata that is not string to string", safetensors_bytes(R"({"__metadata__":{"round":3}})", ""),
       "__metadata__ value of 'round' is not a string"},
  };
  TempDir dir;
  int n = 0;
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string path = dir.file("bad-" + std::to_string(n++) + ".safetensors");
    write_bytes(path, c.bytes);
    auto loaded = load_safetensors(path);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), ErrorCode::kCorruptData);
    EXPECT_EQ(loaded.status().message().rfind(path + ": ", 0), 0u) << loaded.status().message();
    EXPECT_NE(loaded.status().message().find(c.expected_fragment), std::string::npos) << loaded.status().message();
  }
}

TEST(Safetensors, SurvivesEveryTruncationAndEveryFlippedByteOfAValidFile) {
  TempDir dir;
  const std::string good_path = dir.file("good.safetensors");
  TensorFile file;
  file.metadata = {{"k", "v"}};
  file.tensors.push_back({"a", {2, 2}, {1.0f, 2.0f, 3.0f, 4.0f}});
  file.tensors.push_back({"b", {1}, {5.0f}});
  ASSERT_TRUE(save_safetensors(good_path, file).ok());
  const std::string good = read_bytes(good_path);
  const std::string path = dir.file("damaged.safetensors");
  for (std::size_t length = 0; length < good.size(); ++length) {
    write_bytes(path, good.substr(0, length));
    auto loaded = load_safetensors(path);
    ASSERT_FALSE(loaded.ok()) << "a file cut to " << length << " bytes loaded";
    EXPECT_EQ(loaded.status().code(), ErrorCode::kCorruptData);
  }
  for (std::size_t i = 0; i < good.size(); ++i) {
    std::string damaged = good;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5A);
    write_bytes(path, damaged);
    auto loaded = load_safetensors(path);  // data bytes may flip harmlessly; the header must not crash us
    if (!loaded.ok()) {
      EXPECT_EQ(loaded.status().code(), ErrorCode::kCorruptData) << "byte " << i;
    }
  }
}

TEST(Safetensors, RefusesToSaveTensorsThatCannotBeDescribed) {
  TempDir dir;
  const std::string path = dir.file("never.safetensors");
  const TensorFile bad[] = {
      TensorFile{{{"w", {2, 2}, {1.0f, 2.0f, 3.0f}}}, {}},                 // shape disagrees with values
      TensorFile{{{"w", {1}, {1.0f}}, {"w", {1}, {2.0f}}}, {}},          // duplicate name
      TensorFile{{{"", {1}, {1.0f}}}, {}},                               // empty name
      TensorFile{{{"__metadata__", {1}, {1.0f}}}, {}},                   // reserved name
      TensorFile{{{"w", {-1}, {}}}, {}},                                 // negative dimension
  };
  for (const TensorFile& file : bad) {
    const Status status = save_safetensors(path, file);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << status.to_string();
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(WriteFileAtomically, ReplacesTheFileAndLeavesNoTemporaryBehind) {
  TempDir dir;
  const std::string path = dir.file("state.bin");
  ASSERT_TRUE(write_file_atomically(path, "first").ok());
  ASSERT_TRUE(write_file_atomically(path, std::string("second\0bytes", 12)).ok());
  EXPECT_EQ(read_bytes(path), std::string("second\0bytes", 12));
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(entry.path().filename(), "state.bin");
  }
  EXPECT_EQ(entries, 1);
}

TEST(WriteFileAtomically, ReportsAnIoErrorNamingThePathWhenTheDirectoryIsMissing) {
  TempDir dir;
  const std::string path = dir.file("no-such-dir/state.bin");
  const Status status = write_file_atomically(path, "bytes");
  EXPECT_EQ(status.code(), ErrorCode::kIoError);
  EXPECT_NE(status.message().find(path), std::string::npos) << status.message();
}

TEST(WriteFileAtomically, AWriteThatFailsMidwayKeepsTheEarlierFileWholeAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir.file("summary.json");
  ASSERT_TRUE(write_file_atomically(path, "{\"rounds\": 8}\n").ok());
  // A file size limit of 16 bytes: the new contents (64 bytes) cannot be written, as on a full disk.
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto previous_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit tight = saved;
  tight.rlim_cur = 16;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &tight), 0);
  const Status status = write_file_atomically(path, std::string(64, 'x'));
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  signal(SIGXFSZ, previous_handler);
  EXPECT_EQ(status.code(), ErrorCode::kIoError) << status.to_string();
  EXPECT_EQ(read_bytes(path), "{\"rounds\": 8}\n") << "the earlier file was damaged";
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
    EXPECT_EQ(entry.path().filename(), "summary.json");
  }
  EXPECT_EQ(entries, 1);
}

}  // namespace
}  // namespace ist
