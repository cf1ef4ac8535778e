// Subnet extraction and merge (IST steps 2 and 4). A slice is a subnet: an ordinary Mlp whose layers hold
// the first-layer rows W1[I1,:], the block-diagonal hidden blocks Wl[Il, I(l-1)], the output columns
// Wout[:, IL] and the full (shared) output bias, plus the neuron indices it came from. Each weight and
// bias is one contiguous float buffer, so the runtime can send a slice as raw frames.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ist/mlp.h"
#include "ist/partition.h"

namespace ist {

// How a subnet makes up for summing over |I| instead of H inputs of each hidden layer.
enum class SubnetScaling {
  kInvertedDropout,  // default: hidden layer l's output is multiplied by H_l / |Il| inside the subnet
  kNone,
  // hidden layer l's output is multiplied by sqrt(H_l / |Il|): matches the full model's pre-activation
  // variance (not its mean) for zero-mean weights, without inverted dropout's S-fold variance blow-up
  kSqrt,
};

struct Slice {
  int subnet = 0;
  std::vector<std::vector<std::int32_t>> neurons;  // per hidden layer, ascending
  Mlp model;                                       // the subnet's parameters (input scales set)
};

// One layer of a slice held in someone else's memory (e.g. received frames): a rows x cols row-major
// weight and a bias of rows floats. The view does not own them.
struct LayerView {
  const float* weight = nullptr;
  const float* bias = nullptr;
  Index rows = 0;
  Index cols = 0;
};
// A slice as views: the trained parameters of subnet `subnet`, its neurons given by the round's plan.
struct SliceView {
  int subnet = 0;
  std::vector<LayerView> layers;
};
// A view of a slice held as a Slice. The view points into slice's memory.
SliceView view_of(const Slice& slice);

// A writable layer, for extracting straight into outgoing frames.
struct MutableLayerView {
  float* weight = nullptr;
  float* bias = nullptr;
  Index rows = 0;
  Index cols = 0;
};

// The shapes of subnet `subnet`'s layers (rows, cols each) and their input scales.
struct SliceShape {
  std::vector<Index> rows;
  std::vector<Index> cols;
  std::vector<float> input_scales;
};
// REQUIRES: plan was made for full's hidden widths and 0 <= subnet < plan.num_subnets.
SliceShape slice_shape(const Mlp& full, const SubnetPlan& plan, int subnet, SubnetScaling scaling);
// The same for a net of `widths` ({inputs, hidden..., classes}), e.g. one no process holds whole.
SliceShape slice_shape(const std::vector<int>& widths, const SubnetPlan& plan, int subnet, SubnetScaling scaling);

// Copies subnet `subnet`'s parameters into `out`, one view per layer, shaped as slice_shape says.
// REQUIRES: as slice_shape, and out matches its shapes.
void extract_slice_into(const Mlp& full, const SubnetPlan& plan, int subnet, const std::vector<MutableLayerView>& out);

// Copies subnet `subnet` of plan out of full. REQUIRES: plan was made for full's hidden widths and
// 0 <= subnet < plan.num_subnets.
Slice extract_slice(const Mlp& full, const SubnetPlan& plan, int subnet, SubnetScaling scaling);

// Checks that a slice (e.g. one decoded from the wire) has exactly the neurons and shapes that plan gives
// its subnet in a net of full's widths. Errors: invalid_argument naming the mismatch.
Status check_slice_matches_plan(const Mlp& full, const SubnetPlan& plan, const Slice& slice);

// Writes every returned slice back where it came from and sets the shared output bias to the mean of
// the returned slices' output biases (summed in the order given). Parts of full that no returned slice
// covers (lost slices, off-diagonal blocks) stay as they were. With no slices, full is unchanged.
// Errors: invalid_argument (a slice that does not match plan, or two slices for one subnet); full is
// untouched on error.
Status merge_slices(Mlp& full, const SubnetPlan& plan, const std::vector<const Slice*>& returned);

// Checks that a view has the subnet and layer shapes plan gives it in a net of full's widths. Errors:
// invalid_argument naming the mismatch.
Status check_slice_view(const Mlp& full, const SubnetPlan& plan, const SliceView& view);

// Names the first layer of a view that holds a NaN or infinite value ("layer 1 weight"), or nothing.
std::optional<std::string> first_non_finite(const SliceView& view);

// merge_slices for slices held as views (their neurons are the plan's). Same contract; errors name a
// subnet outside the plan, two views of one subnet, or a layer whose shape the plan does not give it.
Status merge_slice_views(Mlp& full, const SubnetPlan& plan, const std::vector<SliceView>& returned);

// Number of float parameters in subnet `subnet` of plan for a net of the given widths: the floats that
// travel each way per round for that subnet.
std::int64_t slice_parameter_count(const std::vector<int>& widths, const SubnetPlan& plan, int subnet);

}  // namespace ist
