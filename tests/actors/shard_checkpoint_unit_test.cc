// The files of a partitioned checkpoint (actors/shard_checkpoint.h): each owner's shard file and the
// driver's manifest read back bit for bit, and every way such a file can be wrong is refused with a
// message naming the file and the problem.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "actors/checkpoint.h"
#include "actors/checkpoint_text.h"
#include "actors/shard_checkpoint.h"
#include "ist/checksum.h"
#include "ist/safetensors.h"

namespace ist::actors {
namespace {

namespace fs = std::filesystem;

class ShardCheckpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("shard_checkpoint_" + std::to_string(getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    model = make_mlp({12, 7, 5, 3}, 9).value();
  }
  void TearDown() override { fs::remove_all(dir); }

  std::string manifest_path() const { return (dir / "checkpoint.safetensors").string(); }

  // Writes every owner's shard of `model` and the manifest naming them, as the driver does.
  DriverCheckpoint write_checkpoint(int owners, std::int64_t next_round) {
    DriverCheckpoint c;
    c.next_round = next_round;
    c.epochs_done = 0.75;
    c.num_shards = 1;
    c.cursors = {BatchCursor{3, 1, 4}};
    c.tag = "tag-1";
    c.widths = model.widths();
    for (int o = 0; o < owners; ++o) {
      auto ref = save_shard_file(shard_directory(manifest_path()), cut_shard(model, o, owners).value(), next_round, c.tag);
      EXPECT_TRUE(ref.ok()) << ref.status().to_string();
      c.shards.push_back(*ref);
    }
    EXPECT_TRUE(save_checkpoint(manifest_path(), c).ok());
    return c;
  }

  fs::path shard_path(int owner, int owners, std::int64_t next_round) const {
    return fs::path(shard_directory(manifest_path())) / shard_file_name(next_round, owner, owners);
  }

  fs::path dir;
  Mlp model;
};

TEST_F(ShardCheckpoint, AManifestAndItsShardFilesAssembleTheModelBitForBit) {
  write_checkpoint(3, 6);
  auto manifest = load_checkpoint(manifest_path());
  ASSERT_TRUE(manifest.ok()) << manifest.status().to_string();
  EXPECT_TRUE(manifest->model.layers.empty());
  EXPECT_EQ(manifest->widths, model.widths());
  ASSERT_EQ(manifest->shards.size(), 3u);
  EXPECT_EQ(manifest->next_round, 6);
  EXPECT_EQ(manifest->epochs_done, 0.75);
  EXPECT_EQ(manifest->shard_dir, shard_directory(manifest_path()));
  auto assembled = assemble_checkpoint_model(*manifest);
  ASSERT_TRUE(assembled.ok()) << assembled.status().to_string();
  EXPECT_EQ(parameter_hash(*assembled), parameter_hash(model));
}

TEST_F(ShardCheckpoint, EachOwnerReadsBackExactlyTheShardItWrote) {
  const DriverCheckpoint c = write_checkpoint(2, 4);
  for (int o = 0; o < 2; ++o) {
    auto shard = load_shard_file(shard_path(o, 2, 4).string(), shard_expectation(c, o));
    ASSERT_TRUE(shard.ok()) << shard.status().to_string();
    const ModelShard cut = cut_shard(model, o, 2).value();
    ASSERT_EQ(shard->hidden.size(), cut.hidden.size());
    for (std::size_t l = 0; l < cut.hidden.size(); ++l) {
      EXPECT_EQ(shard->hidden[l].weight, cut.hidden[l].weight);
      EXPECT_EQ(shard->hidden[l].bias, cut.hidden[l].bias);
    }
    EXPECT_EQ(shard->output_columns, cut.output_columns);
    EXPECT_EQ(shard->output_bias, cut.output_bias);
  }
}

TEST_F(ShardCheckpoint, AShardFileWithOneFlippedBitIsRefusedNamingTheFile) {
  const DriverCheckpoint c = write_checkpoint(2, 4);
  const fs::path path = shard_path(1, 2, 4);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-5, std::ios::end);
    char byte = 0;
    f.read(&byte, 1);
    byte ^= 0x10;
    f.seekp(-5, std::ios::end);
    f.write(&byte, 1);
  }
  auto shard = load_shard_file(path.string(), shard_expectation(c, 1));
  ASSERT_FALSE(shard.ok());
  EXPECT_EQ(shard.status().code(), ErrorCode::kCorruptData);
  EXPECT_NE(shard.status().message().find("checksum mismatch"), std::string::npos) << shard.status().to_string();
  EXPECT_NE(shard.status().message().find(path.string()), std::string::npos) << shard.status().to_string();
  auto assembled = assemble_checkpoint_model(load_checkpoint(manifest_path()).value());
  ASSERT_FALSE(assembled.ok());
  EXPECT_NE(assembled.status().message().find("shard 1 of the checkpoint"), std::string::npos)
      << assembled.status().to_string();
}

TEST_F(ShardCheckpoint, AShardFileOfAnotherCheckpointIsRefusedThoughItIsWhole) {
  // The same owner's shard of a later checkpoint, copied over the file the manifest names.
  const DriverCheckpoint c = write_checkpoint(2, 4);
  model.layers[0].weight(0, 0) += 1.0f;
  ASSERT_TRUE(save_shard_file(shard_directory(manifest_path()), cut_shard(model, 0, 2).value(), 4, c.tag).ok());
  auto shard = load_shard_file(shard_path(0, 2, 4).string(), shard_expectation(c, 0));
  ASSERT_FALSE(shard.ok());
  EXPECT_EQ(shard.status().code(), ErrorCode::kCorruptData);
  EXPECT_NE(shard.status().message().find("belongs to another checkpoint"), std::string::npos) << shard.status().to_string();
}

TEST_F(ShardCheckpoint, AShardFileReadAsAnotherOwnerOrRoundIsRefused) {
  const DriverCheckpoint c = write_checkpoint(2, 4);
  ShardExpectation wrong_owner = shard_expectation(c, 1);
  wrong_owner.owner = 0;
  auto shard = load_shard_file(shard_path(1, 2, 4).string(), wrong_owner);
  ASSERT_FALSE(shard.ok());
  EXPECT_NE(shard.status().message().find("is not the one the manifest names"), std::string::npos) << shard.status().to_string();
  auto missing = load_shard_file(shard_path(1, 2, 5).string(), shard_expectation(c, 1));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
}

TEST_F(ShardCheckpoint, AShardHoldingNaNIsNotWritten) {
  ModelShard shard = cut_shard(model, 0, 2).value();
  shard.hidden[1].bias(0) = std::numeric_limits<float>::quiet_NaN();
  auto ref = save_shard_file(shard_directory(manifest_path()), shard, 2, "t");
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.status().code(), ErrorCode::kDiverged);
  EXPECT_FALSE(fs::exists(shard_path(0, 2, 2)));
}

TEST_F(ShardCheckpoint, AManifestNamingAFileOutsideItsShardFolderIsRefused) {
  DriverCheckpoint c = write_checkpoint(2, 4);
  c.shards[1].file = "../../etc/passwd";
  ASSERT_TRUE(save_checkpoint(manifest_path(), c).ok());
  auto manifest = load_checkpoint(manifest_path());
  ASSERT_FALSE(manifest.ok());
  EXPECT_EQ(manifest.status().code(), ErrorCode::kCorruptData);
  EXPECT_NE(manifest.status().message().find("../../etc/passwd"), std::string::npos) << manifest.status().to_string();
}

TEST_F(ShardCheckpoint, AManifestWithAFloatOwnerOrNoHiddenLayerIsRefused) {
  DriverCheckpoint c = write_checkpoint(2, 4);
  // Rewritten with a valid checksum around bad values, as a crafted file would be.
  DriverCheckpoint no_hidden = c;
  no_hidden.widths = {12, 3};
  ASSERT_TRUE(save_checkpoint(manifest_path(), no_hidden).ok());
  auto loaded = load_checkpoint(manifest_path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), ErrorCode::kCorruptData);
  EXPECT_NE(loaded.status().message().find("hidden layer"), std::string::npos) << loaded.status().to_string();
  TensorFile file = load_safetensors(manifest_path()).value();
  file.metadata["widths"] = "12,7,5,3";
  file.metadata["shards"] = "[[1e300,\"a\",\"b\"]]";
  file.metadata["checksum"] = checksum_text(tensor_file_crc32(file, "checksum"));
  ASSERT_TRUE(save_safetensors(manifest_path(), file).ok());
  loaded = load_checkpoint(manifest_path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), ErrorCode::kCorruptData);
  EXPECT_NE(loaded.status().message().find("malformed shard list"), std::string::npos) << loaded.status().to_string();
}

TEST_F(ShardCheckpoint, AManifestAskingForMoreParametersThanItsFilesHoldIsRefusedBeforeAllocating) {
  write_checkpoint(2, 4);
  DriverCheckpoint c = load_checkpoint(manifest_path()).value();
  c.widths = {12, 2000000, 5, 3};  // about 40 GB of floats: refused, not allocated
  auto assembled = assemble_checkpoint_model(c);
  ASSERT_FALSE(assembled.ok());
  EXPECT_EQ(assembled.status().code(), ErrorCode::kCorruptData);
  EXPECT_NE(assembled.status().message().find("too few for a model of"), std::string::npos) << assembled.status().to_string();
}

TEST_F(ShardCheckpoint, AfterACommitOnlyTheShardFilesOfTheNewManifestRemain) {
  write_checkpoint(2, 4);
  const DriverCheckpoint newer = write_checkpoint(2, 8);
  const fs::path other = fs::path(shard_directory(manifest_path())) / "notes.txt";
  std::ofstream(other) << "kept";
  // A temporary of an owner that died mid-write goes too.
  const fs::path temporary = fs::path(shard_directory(manifest_path())) / (shard_file_name(6, 1, 2) + ".tmp-99-1");
  std::ofstream(temporary) << "half a shard";
  remove_other_shard_files(shard_directory(manifest_path()), newer.shards);
  EXPECT_FALSE(fs::exists(shard_path(0, 2, 4)));
  EXPECT_FALSE(fs::exists(shard_path(1, 2, 4)));
  EXPECT_TRUE(fs::exists(shard_path(0, 2, 8)));
  EXPECT_TRUE(fs::exists(shard_path(1, 2, 8)));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_FALSE(fs::exists(temporary));
  EXPECT_TRUE(assemble_checkpoint_model(load_checkpoint(manifest_path()).value()).ok());
}

TEST_F(ShardCheckpoint, AModelCheckpointStillLoadsWithItsModelAndWidths) {
  DriverCheckpoint c;
  c.model = model;
  c.num_shards = 1;
  c.cursors = {BatchCursor{}};
  ASSERT_TRUE(save_checkpoint(manifest_path(), c).ok());
  auto loaded = load_checkpoint(manifest_path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_TRUE(loaded->shards.empty());
  EXPECT_EQ(loaded->widths, model.widths());
  EXPECT_EQ(parameter_hash(loaded->model), parameter_hash(model));
}

}  // namespace
}  // namespace ist::actors
