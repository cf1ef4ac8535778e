// A head node in the test process plus worker node processes (actors_test_node) on loopback, with
// OS-chosen ports and short heartbeat deadlines, for the distributed tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/subnet_trainer.h"
#include "ist/tensor.h"
#include "runtime/launcher.h"
#include "runtime/node.h"

namespace ist::actors::testing {

using namespace std::chrono_literals;

class TrainerCluster : public ::testing::Test {
 protected:
  void start_cluster(int workers) {
    ASSERT_TRUE(register_trainer_actor_types().ok());
    // Like the trainers (and ist run/simulate): one BLAS thread, so in-process references sum alike.
    set_compute_threads(1);
    rt::NodeOptions o;
    o.role = rt::NodeRole::kHead;
    o.name = "head";
    o.heartbeat_interval = 100ms;
    o.death_deadline = 1000ms;  // 4 trainer processes on 2 cores: leave room for scheduling
    auto h = rt::Node::start(o);
    ASSERT_TRUE(h.ok()) << h.status().to_string();
    head = std::move(h).value();
    cluster = std::make_unique<rt::LocalCluster>(
        ACTORS_TEST_NODE, std::vector<std::string>{"--head", head->endpoint(), "--heartbeat-ms", "100",
                                                   "--deadline-ms", "1000", "--head-lost-ms", "3000"});
    auto started = cluster->start_and_wait(workers, *head, rt::deadline_in(20s));
    ASSERT_TRUE(started.ok()) << started.to_string();
  }
  void TearDown() override {
    cluster.reset();
    head.reset();
  }

  std::vector<rt::NodeId> worker_ids() const {
    std::vector<rt::NodeId> ids;
    for (const rt::Member& m : head->members()) {
      if (m.role == rt::NodeRole::kWorker && m.state == rt::MemberState::kAlive) ids.push_back(m.id);
    }
    return ids;
  }

  std::unique_ptr<rt::Node> head;
  std::unique_ptr<rt::LocalCluster> cluster;
};

}  // namespace ist::actors::testing
