// Driver checkpoints on disk, in process: what is saved loads back bit for bit, and a file that is
// missing, cut short or damaged anywhere (header, metadata numbers, tensor bytes) is refused with an
// error naming the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <utility>
#include <vector>
#include <cstdio>

#include "actors/checkpoint.h"
#include "ist/checksum.h"
#include "ist/model_io.h"

namespace ist::actors {
namespace {

class CheckpointFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ist_checkpoint_unit_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static std::string read_bytes(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void write_bytes(const std::string& file, const std::string& bytes) {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }

  // A checkpoint whose every field differs from its default, with values that a lossy encoding
  // (decimal doubles, 32-bit integers, a float round trip) would change.
  static DriverCheckpoint sample() {
    DriverCheckpoint c;
    c.model = make_mlp({5, 4, 3, 2}, 11).value();
    c.model.layers[0].weight(0, 0) = -0.0f;
    c.model.layers[0].weight(1, 2) = std::numeric_limits<float>::denorm_min();
    c.model.layers[1].weight(2, 3) = std::numeric_limits<float>::max();
    c.model.layers[2].bias.setLinSpaced(-1.0f / 3.0f, 2.0f / 7.0f);
    c.next_round = (std::int64_t{1} << 40) + 7;
    c.epochs_done = 1.0 / 3.0 + 1e-17;  // needs all 53 bits
    c.generation = 3;
    c.num_shards = 3;
    c.cursors = {BatchCursor{std::numeric_limits<std::uint64_t>::max(), 4, 17},
                 BatchCursor{0x8000000000000001ull, (std::int64_t{1} << 35), 0},
                 BatchCursor{42, 0, (std::int64_t{1} << 33) + 1}};
    c.lost_examples = (std::int64_t{1} << 36) + 5;
    c.tag = "config \"hash\"\n\xC3\xA9 0123";
    return c;
  }

  // Saves sample() and returns the path.
  std::string saved_sample(const std::string& name = "checkpoint.safetensors") const {
    const std::string file = path(name);
    const Status s = save_checkpoint(file, sample());
    EXPECT_TRUE(s.ok()) << s.to_string();
    return file;
  }

  // The header's length prefix (first 8 bytes, little endian) of a saved file.
  static std::uint64_t header_length(const std::string& bytes) {
    std::uint64_t length = 0;
    for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(bytes[i]);
    return length;
  }

  static void expect_corrupt_naming(const Result<DriverCheckpoint>& loaded, const std::string& file,
                                    const std::string& what) {
    ASSERT_FALSE(loaded.ok()) << what << ": a damaged checkpoint loaded";
    EXPECT_EQ(loaded.status().code(), ErrorCode::kCorruptData) << what << ": " << loaded.status().to_string();
    EXPECT_NE(loaded.status().message().find(file), std::string::npos)
        << what << ": the error does not name the file: " << loaded.status().to_string();
  }

  std::filesystem::path dir_;
};

bool same_bits(const float* a, const float* b, std::size_t count) {
  return std::memcmp(a, b, count * sizeof(float)) == 0;
}

TEST_F(CheckpointFile, SavedCheckpointLoadsBackEveryFieldBitForBit) {
  const DriverCheckpoint saved = sample();
  const std::string file = saved_sample();
  auto loaded = load_checkpoint(file);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();

  ASSERT_EQ(loaded->model.widths(), saved.model.widths());
  for (std::size_t l = 0; l < saved.model.layers.size(); ++l) {
    const Linear& a = saved.model.layers[l];
    const Linear& b = loaded->model.layers[l];
    EXPECT_TRUE(same_bits(a.weight.data(), b.weight.data(), static_cast<std::size_t>(a.weight.size())))
        << "layer " << l << " weight";
    EXPECT_TRUE(same_bits(a.bias.data(), b.bias.data(), static_cast<std::size_t>(a.bias.size())))
        << "layer " << l << " bias";
    EXPECT_EQ(b.input_scale, 1.0f);
  }
  EXPECT_TRUE(std::signbit(loaded->model.layers[0].weight(0, 0)));  // -0.0 stays negative zero
  EXPECT_EQ(loaded->next_round, saved.next_round);
  EXPECT_EQ(std::memcmp(&loaded->epochs_done, &saved.epochs_done, sizeof(double)), 0)
      << std::hexfloat << loaded->epochs_done << " != " << saved.epochs_done;
  EXPECT_EQ(loaded->generation, saved.generation);
  EXPECT_EQ(loaded->num_shards, saved.num_shards);
  EXPECT_EQ(loaded->cursors, saved.cursors);
  EXPECT_EQ(loaded->lost_examples, saved.lost_examples);
  EXPECT_EQ(loaded->tag, saved.tag);
}

TEST_F(CheckpointFile, SavingOverAnOlderCheckpointReplacesIt) {
  const std::string file = saved_sample();
  DriverCheckpoint later = sample();
  later.next_round += 1;
  later.cursors[1].position = 99;
  ASSERT_TRUE(save_checkpoint(file, later).ok());
  auto loaded = load_checkpoint(file);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->next_round, later.next_round);
  EXPECT_EQ(loaded->cursors, later.cursors);
}

TEST_F(CheckpointFile, MissingFileIsNotFoundNamingThePath) {
  const std::string file = path("never_written.safetensors");
  auto loaded = load_checkpoint(file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), ErrorCode::kNotFound) << loaded.status().to_string();
  EXPECT_NE(loaded.status().message().find(file), std::string::npos) << loaded.status().to_string();
}

TEST_F(CheckpointFile, EveryTruncationIsCorruptData) {
  const std::string whole = read_bytes(saved_sample());
  ASSERT_GT(whole.size(), 8u + header_length(whole));
  const std::string file = path("truncated.safetensors");
  for (std::size_t keep = 0; keep < whole.size(); ++keep) {
    write_bytes(file, whole.substr(0, keep));
    expect_corrupt_naming(load_checkpoint(file), file, "cut to " + std::to_string(keep) + " bytes");
  }
}

TEST_F(CheckpointFile, AnyFlippedBitOfTheHeaderLengthIsCorruptData) {
  const std::string whole = read_bytes(saved_sample());
  const std::string file = path("flipped.safetensors");
  for (int byte = 0; byte < 8; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = whole;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      write_bytes(file, damaged);
      expect_corrupt_naming(load_checkpoint(file), file,
                            "length byte " + std::to_string(byte) + " bit " + std::to_string(bit));
    }
  }
}

TEST_F(CheckpointFile, FlippedByteThatBreaksTheHeaderJsonIsCorruptData) {
  const std::string whole = read_bytes(saved_sample());
  ASSERT_EQ(whole[8], '{');
  std::string damaged = whole;
  damaged[8] = static_cast<char>(damaged[8] ^ 0x01);  // '{' becomes 'z'
  const std::string file = path("flipped.safetensors");
  write_bytes(file, damaged);
  expect_corrupt_naming(load_checkpoint(file), file, "opening brace");
}

TEST_F(CheckpointFile, FlippedByteInTheCheckpointMarkerIsNotADriverCheckpoint) {
  const std::string whole = read_bytes(saved_sample());
  const std::size_t at = whole.find("ist-driver");
  ASSERT_NE(at, std::string::npos);
  ASSERT_LT(at, 8 + header_length(whole));
  std::string damaged = whole;
  damaged[at] = static_cast<char>(damaged[at] ^ 0x01);  // "ist-driver" becomes "hst-driver"
  const std::string file = path("flipped.safetensors");
  write_bytes(file, damaged);
  auto loaded = load_checkpoint(file);
  expect_corrupt_naming(loaded, file, "marker");
  EXPECT_NE(loaded.status().message().find("not a driver checkpoint"), std::string::npos)
      << loaded.status().to_string();
}

TEST_F(CheckpointFile, FlippedByteThatBreaksTheCursorListIsCorruptData) {
  const std::string whole = read_bytes(saved_sample());
  const std::size_t at = whole.find("[[");  // the cursors' JSON, inside the metadata string
  ASSERT_NE(at, std::string::npos);
  ASSERT_LT(at, 8 + header_length(whole));
  std::string damaged = whole;
  damaged[at + 1] = static_cast<char>(damaged[at + 1] ^ 0x01);  // "[[" becomes "[Z"
  const std::string file = path("flipped.safetensors");
  write_bytes(file, damaged);
  auto loaded = load_checkpoint(file);
  expect_corrupt_naming(loaded, file, "cursor list");
  EXPECT_NE(loaded.status().message().find("checksum mismatch"), std::string::npos) << loaded.status().to_string();
}

TEST_F(CheckpointFile, ACursorCountThatDisagreesWithTheShardCountIsCorruptData) {
  DriverCheckpoint c = sample();
  c.num_shards = 4;  // three cursors
  const std::string file = path("inconsistent.safetensors");
  ASSERT_TRUE(save_checkpoint(file, c).ok());
  auto loaded = load_checkpoint(file);
  expect_corrupt_naming(loaded, file, "cursor count");
  EXPECT_NE(loaded.status().message().find("3 cursors for 4 shards"), std::string::npos)
      << loaded.status().to_string();
}

TEST_F(CheckpointFile, AModelFileWithoutCheckpointFieldsIsNotADriverCheckpoint) {
  const std::string file = path("model.safetensors");
  ASSERT_TRUE(save_model(file, sample().model).ok());
  auto loaded = load_checkpoint(file);
  expect_corrupt_naming(loaded, file, "plain model");
  EXPECT_NE(loaded.status().message().find("not a driver checkpoint"), std::string::npos)
      << loaded.status().to_string();
}

TEST_F(CheckpointFile, EveryFlippedBitAnywhereInTheFileIsCorruptData) {
  const std::string whole = read_bytes(saved_sample());
  const std::string file = path("flipped.safetensors");
  for (std::size_t byte = 0; byte < whole.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = whole;
      damaged[byte] = static_cast<char>(damaged[byte] ^ (1 << bit));
      write_bytes(file, damaged);
      auto loaded = load_checkpoint(file);
      ASSERT_FALSE(loaded.ok()) << "byte " << byte << " bit " << bit << " flipped and the checkpoint loaded; around it: "
                                << whole.substr(byte < 40 ? 0 : byte - 40, 80);
      ASSERT_EQ(loaded.status().code(), ErrorCode::kCorruptData) << loaded.status().to_string();
      ASSERT_NE(loaded.status().message().find(file), std::string::npos) << loaded.status().to_string();
    }
  }
}

TEST_F(CheckpointFile, AFlippedBitInTheTensorDataIsAChecksumMismatch) {
  const std::string whole = read_bytes(saved_sample());
  std::string damaged = whole;
  damaged[whole.size() - 5] = static_cast<char>(damaged[whole.size() - 5] ^ 0x01);  // a low mantissa bit
  const std::string file = path("flipped.safetensors");
  write_bytes(file, damaged);
  auto loaded = load_checkpoint(file);
  expect_corrupt_naming(loaded, file, "tensor data");
  EXPECT_NE(loaded.status().message().find("checksum mismatch"), std::string::npos) << loaded.status().to_string();
}

// A checkpoint whose metadata field `key` is `value`, with a checksum that matches (as if written so), to
// test the reading of each field on its own.
class CheckpointFields : public CheckpointFile {
 protected:
  std::string saved_with(const std::string& key, const std::string& value, bool poison_weight = false) {
    const std::string file = saved_sample();
    TensorFile tensors = load_safetensors(file).value();
    tensors.metadata[key] = value;
    if (poison_weight) tensors.tensors[0].values[1] = std::numeric_limits<float>::quiet_NaN();
    tensors.metadata["checksum"] = "";
    char crc[32];
    std::snprintf(crc, sizeof(crc), "crc32:%08x", tensor_file_crc32(tensors, "checksum"));
    tensors.metadata["checksum"] = crc;
    EXPECT_TRUE(save_safetensors(file, tensors).ok());
    return file;
  }
};

TEST_F(CheckpointFields, ANumberFieldMustBeExactlyANumberOfItsType) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"next_round", "12abc"},          {"next_round", " 12"},     {"next_round", ""},
      {"next_round", "1e3"},            {"generation", "3 "},      {"generation", "4294967299"},
      {"num_shards", "0x3"},            {"lost_examples", "5.0"},  {"epochs_done", "0x1.5p-2junk"},
      {"epochs_done", " 0x1p-2"},       {"epochs_done", ""},       {"next_round", "99999999999999999999"},
      {"cursors", "[[\"-1\", 4, 17], [\"1\", 0, 0], [\"2\", 0, 0]]"},
      {"cursors", "[[\"18446744073709551616\", 4, 17], [\"1\", 0, 0], [\"2\", 0, 0]]"},
      {"cursors", "[[\"7x\", 4, 17], [\"1\", 0, 0], [\"2\", 0, 0]]"},
  };
  for (const auto& [key, value] : bad) {
    const std::string file = saved_with(key, value);
    auto loaded = load_checkpoint(file);
    expect_corrupt_naming(loaded, file, key + " = '" + value + "'");
  }
}

TEST_F(CheckpointFields, AFieldThatIsMissingIsNamed) {
  const std::string file = saved_sample();
  TensorFile tensors = load_safetensors(file).value();
  tensors.metadata.erase("lost_examples");
  char crc[32];
  std::snprintf(crc, sizeof(crc), "crc32:%08x", tensor_file_crc32(tensors, "checksum"));
  tensors.metadata["checksum"] = crc;
  ASSERT_TRUE(save_safetensors(file, tensors).ok());
  auto loaded = load_checkpoint(file);
  expect_corrupt_naming(loaded, file, "missing field");
  EXPECT_NE(loaded.status().message().find("'lost_examples' is missing"), std::string::npos)
      << loaded.status().to_string();
}

TEST_F(CheckpointFields, ACheckpointWithoutAChecksumIsRefused) {
  const std::string file = saved_sample();
  TensorFile tensors = load_safetensors(file).value();
  tensors.metadata.erase("checksum");
  ASSERT_TRUE(save_safetensors(file, tensors).ok());
  auto loaded = load_checkpoint(file);
  expect_corrupt_naming(loaded, file, "no checksum");
  EXPECT_NE(loaded.status().message().find("no checksum"), std::string::npos) << loaded.status().to_string();
}

TEST_F(CheckpointFields, ANonFiniteWeightIsRefusedEvenWithAMatchingChecksum) {
  const std::string file = saved_with("tag", sample().tag, /*poison_weight=*/true);
  auto loaded = load_checkpoint(file);
  expect_corrupt_naming(loaded, file, "NaN weight");
  EXPECT_NE(loaded.status().message().find("layers.0.weight"), std::string::npos) << loaded.status().to_string();
}

TEST_F(CheckpointFields, AWellFormedFieldStillLoads) {
  const std::string file = saved_with("next_round", "12");
  auto loaded = load_checkpoint(file);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->next_round, 12);
}

}  // namespace
}  // namespace ist::actors
