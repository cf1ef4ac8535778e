// What a trainer checks in a request before it spends anything on it: numbers in range (steps, batch
// size, learning rate and the other options, the batch cursor) and layers that chain into one net fit
// for its data. A request that fails gets a named invalid_argument back; nothing runs, the trainer stays.
// The driver never sends such a request; these checks stand against a peer that forges one.
#pragma once

#include <cstdint>

#include "actors/wire.h"
#include "base/status.h"
#include "ist/mlp.h"

namespace ist::actors {

// 0 <= steps <= kMaxLocalSteps; 1 <= batch_size <= shard_size; learning rate, weight decay finite and
// >= 0; momentum in [0, 1); subnet_lr_power finite.
Status check_train_options(const WireTrainOptions& options, std::int64_t shard_size);
// epoch >= 0 and 0 <= position <= shard_size.
Status check_cursor(const WireCursor& cursor, std::int64_t shard_size);
// Each layer's inputs are the previous layer's outputs, the first takes `features` inputs, and every
// input scale is finite and positive.
Status check_layers(const Mlp& net, std::int64_t features);

}  // namespace ist::actors
