// A lost owner's shard comes back (actors/owner_recovery.h): the surviving owners' shards as they are, the
// lost one from the last checkpoint's shard files or, with none, from the initial model, and the whole
// model cut anew over the owners left. Owners here are in-memory shards behind the backend's seam; the
// checkpoint files are real.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "actors/owner_recovery.h"
#include "actors/shard_checkpoint.h"
#include "ist/model_shard.h"
#include "tests/actors/scripted_trainer_backend.h"

namespace ist::actors {
namespace {

namespace fs = std::filesystem;

// Owners that keep their shards in this process: what install_shards gave them, until a test loses one.
class InMemoryOwners : public testing::ScriptedTrainerBackend {
 public:
  InMemoryOwners() : ScriptedTrainerBackend(testing::clustered_dataset(40, 6, 3, 1)) {}

  std::map<TrainerId, ModelShard> shards;
  int fetches = 0;

  std::set<TrainerId> lost_at_install;  // these trainers' nodes die when their shard is installed

  Status install_shards(const std::vector<TrainerId>& owners, const Mlp& model) override {
    shards.clear();
    for (std::size_t o = 0; o < owners.size(); ++o) {
      if (lost_at_install.erase(owners[o]) > 0) {
        return Status::node_dead("installing shard " + std::to_string(o) + " of the model: its node died");
      }
      IST_ASSIGN_OR_RETURN(shards[owners[o]], cut_shard(model, static_cast<int>(o), static_cast<int>(owners.size())));
    }
    return Status::ok_status();
  }
  ShardGather begin_gather_shards(const std::vector<TrainerId>& owners, const std::vector<int>& skip) override {
    return [this, owners, skip](Mlp& model) -> Status {
      for (std::size_t o = 0; o < owners.size(); ++o) {
        if (std::find(skip.begin(), skip.end(), static_cast<int>(o)) != skip.end()) continue;
        auto shard = shards.find(owners[o]);
        if (shard == shards.end()) return Status::node_dead("owner " + std::to_string(o) + " is gone");
        ++fetches;
        IST_RETURN_IF_ERROR(place_shard(shard->second, model));
      }
      return Status::ok_status();
    };
  }
};

class OwnerRecovery : public ::testing::Test {
 protected:
  void SetUp() override {
    config.widths = {6, 9, 7, 3};
    config.seed = 4;
    initial = make_mlp(config.widths, config.seed).value();
    // What the owners hold now: every parameter moved away from the initial model.
    trained = initial;
    for (Linear& layer : trained.layers) {
      layer.weight.array() += 0.5f;
      layer.bias.array() -= 0.25f;
    }
    ASSERT_TRUE(owners.install_shards({10, 11, 12}, trained).ok());
  }

  // The model the owners hold after the restore, gathered from them.
  Mlp gathered(const std::vector<TrainerId>& ids) {
    Mlp model = unfilled_model(config.widths);
    EXPECT_TRUE(owners.gather_shards(ids, model).ok());
    return model;
  }

  // `base` with shard `o` of three taken from `source`.
  static Mlp with_shard_from(Mlp base, const Mlp& source, int o) {
    EXPECT_TRUE(place_shard(cut_shard(source, o, 3).value(), base).ok());
    return base;
  }

  TrainingConfig config;
  Mlp initial;
  Mlp trained;
  InMemoryOwners owners;
  const std::vector<TrainerId> before{10, 11, 12};
};

TEST_F(OwnerRecovery, ALostShardComesBackFromTheLastCheckpointAndTheModelIsCutOverTheOwnersLeft) {
  const fs::path dir = fs::temp_directory_path() / ("owner_recovery_" + std::to_string(getpid()));
  fs::remove_all(dir);
  // The last checkpoint (after round 6) holds another model than the owners now do.
  Mlp checkpointed = initial;
  for (Linear& layer : checkpointed.layers) layer.weight.array() -= 1.0f;
  DriverCheckpoint manifest;
  manifest.widths = config.widths;
  manifest.next_round = 6;
  manifest.tag = "t";
  manifest.shard_dir = dir.string();
  for (int o = 0; o < 3; ++o) {
    auto ref = save_shard_file(dir.string(), cut_shard(checkpointed, o, 3).value(), 6, "t");
    ASSERT_TRUE(ref.ok()) << ref.status().to_string();
    manifest.shards.push_back(*ref);
  }
  owners.shards.erase(11);  // owner 1 is lost
  OwnerRestore r{&before, {1}, {10, 12}, &manifest, {}, {}};
  Mlp driver_model;
  RoundRecord record;
  const Result<std::vector<TrainerId>> restored = restore_lost_owners(owners, r, config, driver_model, record);
  ASSERT_TRUE(restored.ok()) << restored.status().to_string();
  EXPECT_EQ(*restored, (std::vector<TrainerId>{10, 12}));
  // Only the survivors were asked for their shards; shard 1's neurons are the checkpoint's, the rest
  // what the survivors held; and two owners now hold it all.
  EXPECT_EQ(owners.fetches, 2);
  EXPECT_EQ(parameter_hash(gathered({10, 12})), parameter_hash(with_shard_from(trained, checkpointed, 1)));
  EXPECT_NE(parameter_hash(with_shard_from(trained, checkpointed, 1)), parameter_hash(trained));
  ASSERT_EQ(record.events.size(), 1u);
  EXPECT_EQ(record.events[0].kind, RoundEvent::Kind::kShardRestored);
  EXPECT_EQ(record.events[0].shard, 1);
  EXPECT_EQ(record.events[0].count, 6);
  EXPECT_NE(describe(record.events[0]).find("model shard 1 restored from the checkpoint of round 6"), std::string::npos)
      << describe(record.events[0]);
  EXPECT_NE(describe(record.events[0]).find("re-cut over 2 owner(s)"), std::string::npos) << describe(record.events[0]);
  fs::remove_all(dir);
}

TEST_F(OwnerRecovery, ACheckpointOfAnotherNumberOfOwnersOrOfADriverOwnedModelServesToo) {
  Mlp checkpointed = initial;
  for (Linear& layer : checkpointed.layers) layer.bias.array() += 2.0f;
  const Mlp expected = with_shard_from(trained, checkpointed, 1);
  // Written by two owners, restored into a cut of three.
  const fs::path dir = fs::temp_directory_path() / ("owner_recovery_two_" + std::to_string(getpid()));
  fs::remove_all(dir);
  DriverCheckpoint two;
  two.widths = config.widths;
  two.next_round = 8;
  two.shard_dir = dir.string();
  for (int o = 0; o < 2; ++o) two.shards.push_back(save_shard_file(dir.string(), cut_shard(checkpointed, o, 2).value(), 8, "").value());
  // A driver-owned run's checkpoint (the model itself) that a partitioned run resumed from.
  DriverCheckpoint model_checkpoint;
  model_checkpoint.model = checkpointed;
  model_checkpoint.next_round = 5;
  for (const DriverCheckpoint* checkpoint : {&two, &model_checkpoint}) {
    ASSERT_TRUE(owners.install_shards(before, trained).ok());
    owners.shards.erase(11);
    Mlp driver_model;
    RoundRecord record;
    const auto restored = restore_lost_owners(owners, OwnerRestore{&before, {1}, {10, 12}, checkpoint, {}, {}}, config,
                                              driver_model, record);
    ASSERT_TRUE(restored.ok()) << restored.status().to_string();
    EXPECT_EQ(parameter_hash(gathered({10, 12})), parameter_hash(expected)) << "checkpoint of round " << checkpoint->next_round;
    ASSERT_EQ(record.events.size(), 1u);
    EXPECT_EQ(record.events[0].count, checkpoint->next_round);
  }
  fs::remove_all(dir);
}

TEST_F(OwnerRecovery, WithoutACheckpointALostShardStartsOverFromTheInitialModel) {
  owners.shards.erase(10);
  owners.shards.erase(12);
  OwnerRestore r{&before, {0, 2}, {11}, nullptr, {}, {}};
  Mlp driver_model;
  RoundRecord record;
  ASSERT_TRUE(restore_lost_owners(owners, r, config, driver_model, record).ok());
  EXPECT_EQ(parameter_hash(gathered({11})),
            parameter_hash(with_shard_from(with_shard_from(trained, initial, 0), initial, 2)));
  ASSERT_EQ(record.events.size(), 2u);
  EXPECT_EQ(record.events[1].shard, 2);
  EXPECT_EQ(record.events[1].count, 0);
  EXPECT_NE(describe(record.events[1]).find("restored to its initial values"), std::string::npos);
}

// The news of a loss, as the driver's pool would have it: every trainer but `gone` is alive.
LossNews alive_but(std::vector<TrainerId> all, std::set<TrainerId> gone, int* asked) {
  return [all, gone, asked](const std::vector<TrainerId>&) -> Result<std::optional<std::vector<TrainerId>>> {
    ++*asked;
    std::vector<TrainerId> alive;
    for (TrainerId id : all) {
      if (gone.count(id) == 0) alive.push_back(id);
    }
    return std::optional<std::vector<TrainerId>>(alive);
  };
}

TEST_F(OwnerRecovery, AnOwnerLostDuringTheGatherIsRestoredLikeTheFirstAndTheRestOwnTheModel) {
  owners.shards.erase(11);  // lost in the round
  owners.shards.erase(12);  // lost while the restore gathers
  int asked = 0;
  OwnerRestore r{&before, {1}, {10, 12}, nullptr, {}, alive_but(before, {11, 12}, &asked)};
  Mlp driver_model;
  RoundRecord record;
  const auto restored = restore_lost_owners(owners, r, config, driver_model, record);
  ASSERT_TRUE(restored.ok()) << restored.status().to_string();
  EXPECT_EQ(*restored, (std::vector<TrainerId>{10}));
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(parameter_hash(gathered({10})), parameter_hash(with_shard_from(with_shard_from(trained, initial, 1), initial, 2)));
  ASSERT_EQ(record.events.size(), 2u);
  EXPECT_EQ(record.events[0].shard, 1);
  EXPECT_EQ(record.events[1].shard, 2);
  EXPECT_NE(describe(record.events[1]).find("re-cut over 1 owner(s)"), std::string::npos) << describe(record.events[1]);
}

TEST_F(OwnerRecovery, ANewOwnerLostDuringTheInstallDropsOutAndTheModelIsCutOverTheRest) {
  owners.shards.erase(11);
  owners.lost_at_install = {12};
  int asked = 0;
  OwnerRestore r{&before, {1}, {10, 12}, nullptr, {}, alive_but(before, {11, 12}, &asked)};
  Mlp driver_model;
  RoundRecord record;
  const auto restored = restore_lost_owners(owners, r, config, driver_model, record);
  ASSERT_TRUE(restored.ok()) << restored.status().to_string();
  EXPECT_EQ(*restored, (std::vector<TrainerId>{10}));
  EXPECT_EQ(asked, 1);
  // Shard 2 was gathered before its owner was lost: its trained values stay.
  EXPECT_EQ(parameter_hash(gathered({10})), parameter_hash(with_shard_from(trained, initial, 1)));
  ASSERT_EQ(record.events.size(), 1u);
}

TEST_F(OwnerRecovery, ALossNobodyHearsOfOrAnotherFailureEndsTheRestoreWithTheCallsError) {
  owners.shards.erase(11);
  owners.shards.erase(12);
  int asked = 0;
  // The news says everyone involved is alive: the gather's failure is not a loss the restore can go past.
  OwnerRestore heard_nothing{&before, {1}, {10, 12}, nullptr, {}, alive_but(before, {11}, &asked)};
  Mlp driver_model;
  RoundRecord record;
  const Status failed = restore_lost_owners(owners, heard_nothing, config, driver_model, record).status();
  EXPECT_EQ(failed.code(), ErrorCode::kNodeDead) << failed.to_string();
  EXPECT_NE(failed.message().find("gathering the surviving owners' shards"), std::string::npos) << failed.to_string();
  EXPECT_EQ(asked, 1);
  // Without news at all, as before: the first loss ends it.
  const Status without = restore_lost_owners(owners, OwnerRestore{&before, {1}, {10, 12}, nullptr, {}, {}}, config,
                                             driver_model, record).status();
  EXPECT_EQ(without.code(), ErrorCode::kNodeDead) << without.to_string();
  EXPECT_TRUE(record.events.empty());
}

// An owner whose node left gracefully handed its shard over as it left: it comes back as it was, and the
// checkpoint (here one whose files are gone) is not read. A handover of another cut is not taken.
TEST_F(OwnerRecovery, AShardHandedOverByALeavingOwnerComesBackAsItWasAndNoCheckpointIsRead) {
  DriverCheckpoint missing;
  missing.widths = config.widths;
  missing.next_round = 3;
  missing.shard_dir = "/nonexistent/checkpoint-shards";
  for (int o = 0; o < 3; ++o) missing.shards.push_back(ShardFileRef{o, shard_file_name(3, o, 3), "crc32:00000000"});
  owners.shards.erase(11);
  OwnerRestore r{&before, {1}, {10, 12}, &missing, {}, {}};
  r.handed_over.emplace(1, cut_shard(trained, 1, 3).value());
  Mlp driver_model;
  RoundRecord record;
  const auto restored = restore_lost_owners(owners, r, config, driver_model, record);
  ASSERT_TRUE(restored.ok()) << restored.status().to_string();
  EXPECT_EQ(parameter_hash(gathered({10, 12})), parameter_hash(trained)) << "nothing of shard 1 was lost";
  ASSERT_EQ(record.events.size(), 1u);
  EXPECT_EQ(record.events[0].count, -1);
  EXPECT_NE(describe(record.events[0]).find("model shard 1 handed over by its owner as its node left"), std::string::npos)
      << describe(record.events[0]);

  // Shard 1 of a cut in two is not shard 1 of this cut in three: the initial values serve instead.
  ASSERT_TRUE(owners.install_shards(before, trained).ok());
  owners.shards.erase(11);
  OwnerRestore other{&before, {1}, {10, 12}, nullptr, {}, {}};
  other.handed_over.emplace(1, cut_shard(trained, 1, 2).value());
  RoundRecord second;
  ASSERT_TRUE(restore_lost_owners(owners, other, config, driver_model, second).ok());
  EXPECT_EQ(parameter_hash(gathered({10, 12})), parameter_hash(with_shard_from(trained, initial, 1)));
  ASSERT_EQ(second.events.size(), 1u);
  EXPECT_EQ(second.events[0].count, 0);
}

TEST_F(OwnerRecovery, ACheckpointThatCannotBeReadOrNoOwnerLeftIsAnErrorAndNothingIsInstalled) {
  DriverCheckpoint missing;
  missing.widths = config.widths;
  missing.next_round = 3;
  missing.shard_dir = "/nonexistent/checkpoint-shards";
  for (int o = 0; o < 3; ++o) missing.shards.push_back(ShardFileRef{o, shard_file_name(3, o, 3), "crc32:00000000"});
  owners.shards.erase(11);
  Mlp driver_model;
  RoundRecord record;
  const Status unreadable = restore_lost_owners(owners, OwnerRestore{&before, {1}, {10, 12}, &missing, {}, {}}, config,
                                                driver_model, record).status();
  EXPECT_EQ(unreadable.code(), ErrorCode::kNotFound) << unreadable.to_string();
  EXPECT_NE(unreadable.message().find("reading the last checkpoint"), std::string::npos) << unreadable.to_string();
  EXPECT_EQ(owners.shards.size(), 2u) << "nothing was installed";
  const Status nobody =
      restore_lost_owners(owners, OwnerRestore{&before, {1}, {}, nullptr, {}, {}}, config, driver_model, record).status();
  EXPECT_EQ(nobody.code(), ErrorCode::kInvalidArgument) << nobody.to_string();
  EXPECT_TRUE(record.events.empty());
}

}  // namespace
}  // namespace ist::actors
