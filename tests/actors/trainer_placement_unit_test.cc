// Which members get trainers: decided by the role a node announced, never by its name.
#include <gtest/gtest.h>

#include "actors/trainer_placement.h"

namespace ist::actors {
namespace {

rt::Member member(rt::NodeRole role, const std::string& name) {
  return rt::Member{1, "tcp://127.0.0.1:1", name, rt::MemberState::kAlive, role};
}

TEST(TrainerPlacement, OnlyWorkersHostTrainersWhateverTheirName) {
  EXPECT_TRUE(hosts_trainers(member(rt::NodeRole::kWorker, "worker-1")));
  EXPECT_TRUE(hosts_trainers(member(rt::NodeRole::kWorker, "driver-named-worker")));
  EXPECT_TRUE(hosts_trainers(member(rt::NodeRole::kWorker, "status")));
  EXPECT_FALSE(hosts_trainers(member(rt::NodeRole::kHead, "worker-named-head")));
  EXPECT_FALSE(hosts_trainers(member(rt::NodeRole::kDriver, "worker-2")));
  EXPECT_FALSE(hosts_trainers(member(rt::NodeRole::kProbe, "worker-3")));
}

}  // namespace
}  // namespace ist::actors
