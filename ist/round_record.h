// What a run reports: one RoundRecord per round (the fields of metrics.jsonl), typed RoundEvents for what
// happened besides training, and the RunResult at the end. Written by the shared run loop (run_loop.h)
// for the in-process reference and the distributed driver alike.
#pragma once

#include <cstdint>
#include <concepts>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "base/status.h"
#include "ist/mlp.h"

namespace ist {

// One thing that happened in a round besides training. Tests and tools read `kind`; people read
// describe(event). What `trainer`, `shard`, `node`, `count` and `detail` hold depends on the kind (below);
// fields a kind does not use keep their defaults.
struct RoundEvent {
  enum class Kind : std::int32_t {
    kTrainerLost = 0,         // node, shard; detail: why (the error)
    kPrivateShardLost = 1,    // shard; count: its examples; detail: its share of the training set ("33.3%")
    kTrainerJoined = 2,       // node: a worker joined and got a trainer
    kJoinNotUsed = 3,         // node: a worker joined, but private placement has no data for it
    kJoinFailed = 4,          // node; detail: why its trainer did not start
    kDataRecut = 5,           // count: shards in the new cut; detail: "cut N"
    kSliceLate = 6,           // trainer (subnet index this round); count: the round deadline in ms
    kBelowMinWorkers = 7,     // count: min_workers
    kScriptedKill = 8,        // trainer (subnet index); count: the round (1-based)
    kScriptedLeave = 9,       // trainer (subnet index); count: the round (1-based)
    kScriptedSlow = 10,       // trainer (index among live trainers); count: rounds; detail: ms per step
    kScriptedAdd = 11,        // count: worker nodes started
    kCheckpointWritten = 12,  // count: the round it covers (the one before the record it is in)
    kCheckpointFailed = 13,   // count: the round it was for; detail: why
    kInterrupted = 14,        // the run was asked to stop (Ctrl-C, SIGTERM) and stops after this round
    kResumed = 15,            // count: the round the run resumed after (its checkpoint's); first round only
    kHeadLost = 16,           // node: the head; detail: its endpoint. Training goes on peer to peer; no joins
    kHeadRejoined = 17,       // node: the head joined again (a new process at the same address, or the same)
    kShardRestored = 18,      // shard: a lost owner's model shard; count: the round of the checkpoint it was
                              // restored from (0: the initial values; -1: handed over by its owner as its node
                              // left, nothing lost); detail: from where, and the new owners
    kOwnersChanged = 19,      // count: owners of the model from now on; detail: why (workers joined)
    kEvaluationSkipped = 20,  // the round's evaluation could not gather its model; detail: why (an owner lost)
  };
  Kind kind = Kind::kTrainerLost;
  int trainer = -1;
  int shard = -1;
  std::uint64_t node = 0;
  std::int64_t count = 0;
  std::string detail;
};

// The event as one line of text, e.g. "trainer on node 00ab... (shard 1) lost: node_dead: its node died".
std::string describe(const RoundEvent& event);
// A stable lower-case name of the kind, e.g. "trainer_lost".
const char* event_kind_name(RoundEvent::Kind kind);

// One record per round, the same fields the distributed driver writes to metrics.jsonl.
struct RoundRecord {
  std::int64_t round = 0;  // 1 for the first round
  // Since the start of training, when the round's model was there: after its evaluation, unless that ran
  // overlapped with the next round (run_loop.h).
  double wall_seconds = 0.0;
  double epochs = 0.0;        // training-set passes completed across all workers
  // Mean over the workers whose work counted of their mean local batch loss; none when no worker's did
  // (a round abandoned because an owner was lost, or one whose every trainer was lost).
  std::optional<double> train_loss;
  std::optional<double> test_accuracy;  // every eval_every rounds and after the last
  float learning_rate = 0.0f;
  // Mean over workers of the bytes each sent / received this round (payload floats x 4).
  double bytes_sent_per_worker = 0.0;
  double bytes_received_per_worker = 0.0;
  int live_workers = 0;
  // Bytes through the driver's own link this round (requests out plus replies in), when the driver
  // measured them: partitioned ownership, where only the plan goes through it. 0: not measured (with the
  // driver as owner its link carries every slice: about live_workers x the bytes above).
  double driver_bytes = 0.0;
  // Training examples processed this round: live trainers x local steps x batch size (the steps of the
  // schedule's phase this round was in).
  std::int64_t samples = 0;
  int subnets = 0;  // IST: the subnets S this round was cut into (0 for the baselines)
  // The training examples each worker whose work this round counted holds (its shard or private file), in
  // subnet (IST) or ring (baselines) order.
  std::vector<std::int64_t> examples_per_worker;
  // Where the round's time went, as the driver saw it. round_seconds: from the start of the round to the
  // merged (IST) or fetched (baselines) model; evaluation and checkpoints come after it and are not in it.
  // compute_seconds: the slowest trainer's own training time (its local steps; for data parallel without
  // its waits in the ring), as the trainers report it; in process (the reference, ist simulate) the whole
  // round, since nothing waits on a network there. wait_seconds(): the rest.
  double round_seconds = 0.0;
  double compute_seconds = 0.0;
  // Partitioned ownership: the time to gather the owners' shards into the driver before an evaluation or
  // a checkpoint (not in round_seconds; 0 when nothing was gathered). gather_overlapped: the gather ran
  // beside the next round, on the thread of the overlapped evaluation (run_loop.h), so its seconds were
  // not waited for; the bytes it moved shared the links with that round.
  double gather_seconds = 0.0;
  bool gather_overlapped = false;
  std::vector<RoundEvent> events;  // what happened this round besides training (a trainer lost, ...)

  // How many of this round's events are of `kind`.
  int count_events(RoundEvent::Kind kind) const;
  // The part of the round not spent computing: waiting on the network, on slower trainers and on the
  // driver's slicing and merging. Never negative.
  double wait_seconds() const { return round_seconds > compute_seconds ? round_seconds - compute_seconds : 0.0; }
};

struct RunResult {
  Mlp model;
  std::vector<RoundRecord> records;
  std::optional<double> final_test_accuracy;
  bool interrupted = false;  // stopped on request (RunLoopOptions::stop_requested) before its planned end

  // How many events of `kind` the whole run had.
  int count_events(RoundEvent::Kind kind) const;
};

// Called with each round's record once the round is done (e.g. to write metrics.jsonl). It may return a
// Status: an error stops the run with it (a metrics line that could not be written must not be
// silently missing). A callback that returns nothing never stops the run. Empty: nothing is called.
class RoundCallback {
 public:
  RoundCallback() = default;
  template <typename F>
    requires std::invocable<F&, const RoundRecord&> && (!std::same_as<std::decay_t<F>, RoundCallback>)
  RoundCallback(F f) {  // NOLINT: implicit by design, so lambdas of either kind pass as callbacks
    if constexpr (std::same_as<std::invoke_result_t<F&, const RoundRecord&>, Status>) {
      call_ = std::move(f);
    } else {
      call_ = [f = std::move(f)](const RoundRecord& record) mutable {
        f(record);
        return Status::ok_status();
      };
    }
  }
  explicit operator bool() const { return static_cast<bool>(call_); }
  Status operator()(const RoundRecord& record) const { return call_ ? call_(record) : Status::ok_status(); }

 private:
  std::function<Status(const RoundRecord&)> call_;
};

}  // namespace ist
