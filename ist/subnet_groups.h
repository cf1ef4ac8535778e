// Subnet groups: the continuum between IST and local SGD. Each round the hidden neurons are cut into S
// subnets (S = algorithm.subnets, at most the trainers of the round); trainer i of the round (in the
// round's trainer order) trains subnet i mod S on its own shard, so each subnet is trained by about W/S
// trainers. Before the merge, the members of a group that returned are averaged (ring-all-reduce order,
// then scale_to_mean, exactly as local SGD averages its replicas). S = W is IST (groups of one, passed
// through untouched); S = 1 is local SGD (one subnet that is the full model, averaged over all).
// Used by the in-process reference and the distributed driver alike, so both average the same way.
#pragma once

#include <memory>
#include <vector>

#include "base/status.h"
#include "ist/mlp.h"
#include "ist/partition.h"
#include "ist/slice.h"

namespace ist {

// The number of subnets of a round with `trainers` trainers: the configured S (0: one per trainer),
// capped by the trainers there are. REQUIRES: trainers >= 1.
int subnets_for_round(int configured_subnets, int trainers);

// The subnet trainer `position` (its index among the round's trainers) trains. REQUIRES: subnets >= 1.
inline int subnet_of_trainer(int position, int subnets) {
  return position % subnets;
}

// One averaged slice per group, in order of the groups' subnets; views point into `storage` (or, for a
// group of one, into the member's own memory).
struct GroupedSlices {
  std::vector<SliceView> views;
  std::vector<std::vector<float>> storage;
};

// Averages the returned slices group by group. `returned` holds the trainers' slices in trainer order
// (view.subnet is the subnet each trained); members of a subnet are averaged in that order, so the
// result does not depend on when the replies came. A group of one is passed through bit for bit.
// Errors: invalid_argument when a slice does not fit plan (check_slice_view) or two members of one
// subnet differ in shape.
Result<GroupedSlices> average_groups(const Mlp& full, const SubnetPlan& plan,
                                     const std::vector<SliceView>& returned);

// The same mean for one run of a group's slices, for owners that hold pieces of them (partitioned
// ownership): out[i] = what average_groups gives at flat position begin + i of slices of `length` floats
// (flatten order: each layer's weight, then its bias), from members[k][i] (member k's value there, members
// in trainer order). Summed in the ring's order and scaled as average_groups does, so bit for bit the same.
// REQUIRES: members.size() >= 2; 0 <= begin, begin + count <= length.
void ring_mean_run(std::int64_t length, std::int64_t begin, std::int64_t count, const std::vector<const float*>& members,
                   float* out);

// The same for slices held as Slice objects (the in-process reference).
std::vector<SliceView> views_of(const std::vector<Slice>& slices);

}  // namespace ist
