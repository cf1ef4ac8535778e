// actors_test_node: a worker node program with the trainer actor types, launched by the actors tests.
// With --poison-slices (anywhere among its arguments) its SubnetTrainer is a hostile worker's: the real trainer
// trains as asked, and every IST reply's slice is then filled with NaN (its loss stays the real one), as
// a worker that means to poison the model would answer. With --crash-on-fetch-shard its process dies when the
// driver first asks for its model shard (partitioned ownership): an owner lost during a restore's gather.
#include <unistd.h>

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

// With --crash-on-fetch-shard: the real trainer, whose process dies (as kill -9 would end it) when the
// driver first asks for its model shard: an owner lost in the middle of a restore's gather. With
// --crash-on-second-install: when it is given a shard the second time (the first is the run's start):
// a new owner lost in the middle of a restore's install.
class CrashOnFetchTrainer : public rt::Actor {
 public:
  CrashOnFetchTrainer(std::unique_ptr<actors::SubnetTrainer> real, bool on_install)
      : real_(std::move(real)), on_install_(on_install) {}

  Result<rt::Payload> fetch_shard(rt::ActorContext& ctx, const rt::Payload& args) {
    if (!on_install_) _exit(137);
    return real_->fetch_shard(ctx, args);
  }
  Result<rt::Payload> install_shard(rt::ActorContext& ctx, const rt::Payload& args) {
    if (on_install_ && ++installs_ == 2) _exit(137);
    return real_->install_shard(ctx, args);
  }
#define IST_FORWARD(name) \
  Result<rt::Payload> name(rt::ActorContext& ctx, const rt::Payload& args) { return real_->name(ctx, args); }
  IST_FORWARD(shard_size)
  IST_FORWARD(load_shard)
  IST_FORWARD(shard_moments)
  IST_FORWARD(train_partitioned)
  IST_FORWARD(save_model_shard)
  IST_FORWARD(restore_model_shard)
  IST_FORWARD(hand_over)
#undef IST_FORWARD

 private:
  std::unique_ptr<actors::SubnetTrainer> real_;
  bool on_install_ = false;
  int installs_ = 0;
};

Status register_crash_on_fetch_trainer(bool on_install) {
  return rt::ActorTypeBuilder<CrashOnFetchTrainer>(actors::kSubnetTrainerType)
      .factory([on_install](rt::ActorContext& ctx, const rt::Payload& p) -> Result<std::unique_ptr<CrashOnFetchTrainer>> {
        IST_ASSIGN_OR_RETURN(std::unique_ptr<actors::SubnetTrainer> real, actors::SubnetTrainer::create(ctx, p));
        return std::make_unique<CrashOnFetchTrainer>(std::move(real), on_install);
      })
      .method("shard_size", &CrashOnFetchTrainer::shard_size)
      .method("load_shard", &CrashOnFetchTrainer::load_shard)
      .method("shard_moments", &CrashOnFetchTrainer::shard_moments)
      .method("install_shard", &CrashOnFetchTrainer::install_shard)
      .method("fetch_shard", &CrashOnFetchTrainer::fetch_shard)
      .method("train_partitioned", &CrashOnFetchTrainer::train_partitioned)
      .method("save_model_shard", &CrashOnFetchTrainer::save_model_shard)
      .method("restore_model_shard", &CrashOnFetchTrainer::restore_model_shard)
      .method("hand_over", &CrashOnFetchTrainer::hand_over)
      .spawner_only()
      .register_type();
}

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
  bool crash_on_fetch = false;
  bool crash_on_install = false;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--poison-slices") == 0) {
      poison = true;
    } else if (std::strcmp(argv[i], "--crash-on-fetch-shard") == 0) {
      crash_on_fetch = true;
    } else if (std::strcmp(argv[i], "--crash-on-second-install") == 0) {
      crash_on_install = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  const Status registered = poison                              ? register_poisoning_trainer()
                            : crash_on_fetch || crash_on_install ? register_crash_on_fetch_trainer(crash_on_install)
                                                                : ist::actors::register_trainer_actor_types();
  if (const Status& s = registered; !s.ok()) {
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
