// libFuzzer target: arbitrary requests to a real SubnetTrainer, and arbitrary trainer replies to the
// driver's decoder. A trainer holding a small CSV shard (24 examples, 4 features, 3 classes) gets every
// method it serves: train_ist, setup_replica + train_baseline, load_shard, arm_fault, shard_size,
// shard_moments; the driver side decodes the bytes as a train_ist reply (decode_ist_reply) and the other
// replies it reads. Must never crash, leak or hang: a bad request is an error reply.
// Input: a selector byte, then the payload's frames separated by "\xF0\x0D" (the first is the msgpack
// arguments, the rest blobs). Requests the fuzzer cannot run in one process are decoded but not run:
// rings of more than one trainer (they need peers), armed faults (a crash_midway exits, by design),
// more than 64 local steps (slow, not wrong: the limit itself is a unit test).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actors/runtime_trainer_backend.h"
#include "actors/subnet_trainer.h"
#include "actors/wire.h"
#include "fuzz/fuzz_input.h"
#include "runtime/payload.h"

using namespace ist;
using namespace ist::actors;

namespace {

constexpr int kMaxFuzzedSteps = 64;

std::string& shard_csv_path() {
  static std::string path = [] {
    std::string csv;
    for (int row = 0; row < 24; ++row) {
      for (int column = 0; column < 4; ++column) csv += std::to_string((row * 7 + column * 3) % 11) + ",";
      csv += std::to_string(row % 3) + "\n";
    }
    return fuzz::scratch_file("shard.csv", csv);
  }();
  return path;
}

WireDataSource shard_source() {
  WireDataSource source;
  source.path = shard_csv_path();
  source.format = "csv";
  return source;
}

std::unique_ptr<SubnetTrainer> fresh_trainer(rt::ActorContext& ctx) {
  TrainerSpec spec;
  spec.data = shard_source();
  auto trainer = SubnetTrainer::create(ctx, rt::pack_args(spec));
  if (!trainer.ok()) __builtin_trap();  // the fixture itself is wrong
  return std::move(trainer).value();
}

template <typename T>
bool decodes_as(const rt::Payload& p) {
  return rt::unpack_one<T>(p).ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  std::vector<std::string> parts = fuzz::split_parts(data + 1, size - 1, 33);
  rt::Payload payload;
  payload.args = parts[0];
  for (std::size_t i = 1; i < parts.size(); ++i) payload.blobs.push_back(rt::Blob::copy_of(parts[i].data(), parts[i].size()));

  rt::ActorContext ctx(nullptr, nullptr, 0);  // the methods run here use no runtime service
  std::unique_ptr<SubnetTrainer> trainer = fresh_trainer(ctx);
  switch (selector % 8) {
    case 0: {
      auto request = rt::unpack_one<IstTrainRequest>(payload);
      if (request.ok() && request->options.steps > kMaxFuzzedSteps) break;
      (void)trainer->train_ist(ctx, std::move(payload));
      break;
    }
    case 1: {
      auto setup = rt::unpack_one<ReplicaSetup>(payload);
      if (setup.ok() && setup->ring.size() > 1) break;
      if (!trainer->setup_replica(ctx, payload).ok()) break;
      // A round on the replica just set up, its request from the same bytes' last blob.
      if (payload.blobs.empty()) break;
      rt::Payload round;
      round.args.assign(reinterpret_cast<const char*>(payload.blobs.back().data()), payload.blobs.back().size());
      auto request = rt::unpack_one<BaselineRoundRequest>(round);
      if (request.ok() && request->options.steps > kMaxFuzzedSteps) break;
      (void)trainer->train_baseline(ctx, round);
      break;
    }
    case 2: {
      auto request = rt::unpack_one<BaselineRoundRequest>(payload);
      if (request.ok() && request->options.steps > kMaxFuzzedSteps) break;
      (void)trainer->train_baseline(ctx, payload);  // before setup_replica: must be refused
      break;
    }
    case 3: {
      // The spec's own numbers (shard, shard count, policy, seed, holdout, standardization, classes) on the
      // fixture's file: a fuzzed path would read whatever file it names.
      auto spec = rt::unpack_one<TrainerSpec>(payload);
      if (!spec.ok()) break;
      const double holdout = spec->data.holdout;
      const std::uint64_t holdout_seed = spec->data.holdout_seed;
      spec->data = shard_source();
      spec->data.holdout = holdout;
      spec->data.holdout_seed = holdout_seed;
      (void)trainer->load_shard(ctx, rt::pack_args(*spec));
      (void)trainer->shard_size(ctx, payload);
      (void)trainer->shard_moments(ctx, payload);
      break;
    }
    case 4:
      (void)decodes_as<FaultPlan>(payload);  // arming is not run: an armed crash_midway exits by design
      break;
    case 5:
      (void)decode_ist_reply(payload, 0, 0);
      (void)decode_ist_reply(payload, selector >> 3, selector >> 6);
      break;
    case 6:
      (void)decodes_as<TrainReply>(payload);
      (void)decodes_as<WireMoments>(payload);
      (void)decodes_as<std::int64_t>(payload);
      break;
    default:
      (void)decodes_as<IstTrainRequest>(payload);
      (void)decodes_as<ReplicaSetup>(payload);
      (void)decodes_as<BaselineRoundRequest>(payload);
      (void)decodes_as<TrainerSpec>(payload);
      break;
  }
  return 0;
}
