// Guards the zero-copy paths of an IST slice through the real runtime (two nodes in this process, talking
// over loopback TCP, so both ends' counters are this process's): the driver extracts the slice straight
// into its frames, the runtime receives frames without copying them (only frames libzmq packs at odd
// offsets, a few bytes here), the trainer copies the slice once into the net it trains and replies from
// that net's own buffers, and the driver reads the reply in place. A copy added anywhere on the way
// shows up in frame_bytes_copied or Blob::receive_copied_bytes and fails these tests.
#include <gtest/gtest.h>

#include <chrono>

#include "actors/runtime_trainer_backend.h"
#include "actors/subnet_trainer.h"
#include "actors/tensor_frames.h"
#include "ist/partition.h"
#include "ist/slice.h"
#include "runtime/node.h"

namespace ist::actors {
namespace {

using namespace std::chrono_literals;

rt::NodeOptions node_options(const std::string& name, const std::string& head_endpoint) {
  rt::NodeOptions o;
  o.role = head_endpoint.empty() ? rt::NodeRole::kHead : rt::NodeRole::kWorker;
  o.name = name;
  o.head_endpoint = head_endpoint;
  o.heartbeat_interval = 100ms;
  o.death_deadline = 2000ms;
  return o;
}

class SliceCopies : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(register_trainer_actor_types().ok());
    auto h = rt::Node::start(node_options("head", ""));
    ASSERT_TRUE(h.ok()) << h.status().to_string();
    head = std::move(h).value();
    auto w = rt::Node::start(node_options("worker", head->endpoint()));
    ASSERT_TRUE(w.ok()) << w.status().to_string();
    worker = std::move(w).value();
    ASSERT_TRUE(head->wait_for_members(2, rt::deadline_in(10s)).ok());
    backend = std::make_unique<RuntimeTrainerBackend>(head->client(), RuntimeBackendOptions{});
    TrainerSpec spec;
    spec.data = to_wire(DataSource{});  // Fashion-MNIST from Debian's dataset-fashion-mnist
    spec.shard = 0;
    spec.num_shards = 60;  // 1,000 examples: enough for a few steps
    auto started = backend->start_trainers({TrainerPlacement{worker->id(), spec}});
    ASSERT_EQ(started.size(), 1u);
    ASSERT_TRUE(started[0].ok()) << started[0].status().to_string();
    trainer = started[0]->id;
  }

  // Trains subnet 0 of 2 of a 784-1024-1024-10 net for a few steps on the worker; returns the slice's
  // bytes (one way) and fills the counters' growth over the round trip.
  std::int64_t train_one_slice(std::uint64_t& frame_copies, std::uint64_t& receive_copies) {
    const std::vector<int> widths{784, 1024, 1024, 10};
    model = make_mlp(widths, 7).value();
    plan = make_partition({1024, 1024}, 2, 7, 0).value();
    LocalTrainingOptions options;
    options.steps = 2;
    options.batch_size = 32;
    options.learning_rate = 0.01f;
    const IstWork work{0, 0, &model, &plan, SubnetScaling::kSqrt, options, BatchCursor{1, 0, 0}};
    const std::uint64_t frames_before = frame_bytes_copied();
    const std::uint64_t received_before = rt::Blob::receive_copied_bytes();
    backend->send_ist(trainer, work);
    auto trained = backend->collect_ist(trainer);
    EXPECT_TRUE(trained.ok()) << trained.status().to_string();
    if (trained.ok()) {
      EXPECT_TRUE(merge_slice_views(model, plan, {trained->slice}).ok());  // read in place from the frames
    }
    frame_copies = frame_bytes_copied() - frames_before;
    receive_copies = rt::Blob::receive_copied_bytes() - received_before;
    return 4 * slice_parameter_count(widths, plan, 0);
  }

  std::unique_ptr<rt::Node> head;
  std::unique_ptr<rt::Node> worker;
  std::unique_ptr<RuntimeTrainerBackend> backend;
  TrainerId trainer = -1;
  Mlp model;
  SubnetPlan plan;
};

TEST_F(SliceCopies, TheTrainerCopiesItsSliceOnceAndNothingElseOnTheWayCopiesIt) {
  std::uint64_t frame_copies = 0, receive_copies = 0;
  const std::int64_t slice_bytes = train_one_slice(frame_copies, receive_copies);
  ASSERT_GT(slice_bytes, 2 << 20);  // about 2.6 MiB each way: large frames, as in real runs
  // Exactly one copy of the slice between nets and frames: the trainer's, into the net it trains.
  EXPECT_EQ(frame_copies, static_cast<std::uint64_t>(slice_bytes));
  // The runtime copied no large frame, either way: at most the small ones libzmq packs into its shared
  // receive buffer (the headers, the 40-byte output bias), far below one tensor of the slice.
  EXPECT_LT(receive_copies, 64u * 1024u);
}

}  // namespace
}  // namespace ist::actors
