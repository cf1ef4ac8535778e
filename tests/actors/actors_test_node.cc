// actors_test_node: a worker node program with the trainer actor types, launched by the actors tests.
// With --poison-slices (anywhere among its arguments) its SubnetTrainer is a hostile worker's: the real trainer
// trains as asked, and every IST reply's slice is then filled with NaN (its loss stays the real one), as
// a worker that means to poison the model would answer.
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "actors/subnet_trainer.h"
#include "ist/tensor.h"
#include "runtime/node_main.h"

namespace {

using namespace ist;

class PoisoningTrainer : public rt::Actor {
 public:
  explicit PoisoningTrainer(std::unique_ptr<actors::SubnetTrainer> real) : real_(std::move(real)) {}

  Result<rt::Payload> train_ist(rt::ActorContext& ctx, rt::Payload&& args) {
    IST_ASSIGN_OR_RETURN(rt::Payload reply, real_->train_ist(ctx, std::move(args)));
    for (rt::Blob& blob : reply.blobs) {
      blob = rt::Blob::make(blob.size(), [](std::span<std::byte> bytes) {
        const float nan = std::numeric_limits<float>::quiet_NaN();
        for (std::size_t at = 0; at + sizeof nan <= bytes.size(); at += sizeof nan) std::memcpy(&bytes[at], &nan, sizeof nan);
      });
    }
    return reply;
  }
  Result<rt::Payload> shard_size(rt::ActorContext& ctx, const rt::Payload& args) { return real_->shard_size(ctx, args); }
  Result<rt::Payload> load_shard(rt::ActorContext& ctx, const rt::Payload& args) { return real_->load_shard(ctx, args); }
  Result<rt::Payload> shard_moments(rt::ActorContext& ctx, const rt::Payload& args) {
    return real_->shard_moments(ctx, args);
  }

 private:
  std::unique_ptr<actors::SubnetTrainer> real_;
};

Status register_poisoning_trainer() {
  return rt::ActorTypeBuilder<PoisoningTrainer>(actors::kSubnetTrainerType)
      .factory([](rt::ActorContext& ctx, const rt::Payload& p) -> Result<std::unique_ptr<PoisoningTrainer>> {
        IST_ASSIGN_OR_RETURN(std::unique_ptr<actors::SubnetTrainer> real, actors::SubnetTrainer::create(ctx, p));
        return std::make_unique<PoisoningTrainer>(std::move(real));
      })
      .method("train_ist", &PoisoningTrainer::train_ist)
      .method("shard_size", &PoisoningTrainer::shard_size)
      .method("load_shard", &PoisoningTrainer::load_shard)
      .method("shard_moments", &PoisoningTrainer::shard_moments)
      .spawner_only()
      .register_type();
}

}  // namespace

int main(int argc, char** argv) {
  bool poison = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--poison-slices") == 0) {
      poison = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  if (auto s = poison ? register_poisoning_trainer() : ist::actors::register_trainer_actor_types(); !s.ok()) {
    std::fprintf(stderr, "actors_test_node: %s\n", s.to_string().c_str());
    return 2;
  }
  ist::set_compute_threads(1);
  auto opts = ist::rt::parse_node_args(static_cast<int>(args.size()), args.data());
  if (!opts.ok()) {
    std::fprintf(stderr, "actors_test_node: %s\n", opts.status().to_string().c_str());
    return 2;
  }
  return ist::rt::run_node_main(*opts);
}
