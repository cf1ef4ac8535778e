// Partitioned model ownership (cluster.model_owner = "partitioned"): O owners each hold a fixed shard of
// the model, and no process needs the whole of it to train.
//
// The partition (fixed for a run; it does not change with the rounds' subnets):
//   - hidden layer l's neurons are cut into O contiguous ranges, owner o taking [o*H_l/O, (o+1)*H_l/O)
//     (sizes differ by at most one);
//   - the owner of neuron j of hidden layer l keeps its incoming weights and bias: row j of layer l's
//     weight (all inputs for the first layer, all H_(l-1) neurons below for a hidden-to-hidden layer) and
//     b_l[j];
//   - the owner of neuron j of the last hidden layer keeps column j of the output layer's weight;
//   - the output layer's bias (shared by every subnet) is owner 0's; it averages the trained copies that
//     come back, in subnet order, exactly as merge_slice_views does.
//
// One round's traffic is made of pieces: the part of subnet s that owner o holds. Because a subnet's
// neurons are ascending and an owner's range is contiguous, owner o's rows of subnet s's layer l are one
// contiguous block of the subnet's rows, and its output columns one contiguous block of columns. A piece is
// the same layout both ways (owner -> trainer before training, trainer -> owner after), so cutting it from
// a shard and writing it into a subnet (or the reverse) are exact copies: a partitioned run equals the
// driver-owned run and the in-process reference bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "ist/mlp.h"
#include "ist/partition.h"
#include "ist/slice.h"

namespace ist {

// Neurons [begin, end) of a hidden layer of `width` neurons belong to `owner` of `owners`.
struct OwnedRange {
  std::int32_t begin = 0;
  std::int32_t end = 0;
  std::int32_t size() const { return end - begin; }
};
// REQUIRES: 0 <= owner < owners.
OwnedRange owned_range(int width, int owner, int owners);

// What one owner holds.
struct ModelShard {
  int owner = 0;
  int owners = 1;
  std::vector<int> widths;      // the full model's widths
  std::vector<Linear> hidden;   // hidden[l]: the owned rows of layer l (owned x inputs of layer l) and biases
  Matrix output_columns;        // the output layer's owned columns (classes x owned neurons of the last hidden layer)
  Vector output_bias;           // owner 0: the output layer's bias; the others: empty

  std::int64_t parameter_count() const;
};

// Owner `owner`'s shard of `full`. Errors: invalid_argument when owners is below 1 or above the narrowest
// hidden layer, or owner is outside [0, owners), or full has no hidden layer.
Result<ModelShard> cut_shard(const Mlp& full, int owner, int owners);

// A model of `widths` whose parameters are left to fill (e.g. by place_shard from every owner).
Mlp unfilled_model(const std::vector<int>& widths);

// Writes a shard back into a full model of its widths (the gather). Errors: invalid_argument when the
// shard's widths or shapes are not those of full's.
Status place_shard(const ModelShard& shard, Mlp& full);

// A piece of subnet `subnet`: owner `owner`'s rows of each hidden layer, its output columns, and (owner 0)
// the output bias. Buffers are laid out as piece_floats() says and travel as raw frames.
struct PieceShape {
  std::vector<Index> first_row;  // per hidden layer: the first subnet row this owner holds
  std::vector<Index> rows;       // per hidden layer: how many
  std::vector<Index> cols;       // per hidden layer: the subnet layer's inputs
  Index first_output_column = 0;
  Index output_columns = 0;
  Index classes = 0;
  bool with_output_bias = false;  // owner 0

  // Floats per buffer, in order: for each hidden layer its weight block then its bias block, then the
  // output columns (classes x output_columns, row-major), then the output bias (classes floats, or 0).
  std::vector<std::int64_t> buffer_floats() const;
};
// Where a piece lies in its subnet's flat slice (each layer's weight, then its bias: the order subnet
// groups are averaged in, ist/subnet_groups.h): buffer `buffer` of the piece, from `buffer_offset`, holds
// the `count` floats at flat positions [flat_begin, flat_begin + count).
struct PieceRun {
  std::size_t buffer = 0;
  std::int64_t buffer_offset = 0;
  std::int64_t flat_begin = 0;
  std::int64_t count = 0;
};
// `subnet` is the subnet's slice_shape. Every float of the piece is in exactly one run.
std::vector<PieceRun> piece_runs(const PieceShape& piece, const SliceShape& subnet);
// Floats in a slice of that shape (every layer's weight and bias).
std::int64_t slice_length(const SliceShape& subnet);

// REQUIRES: plan was made for widths' hidden layers; 0 <= subnet < plan.num_subnets; 0 <= owner < owners.
PieceShape piece_shape(const std::vector<int>& widths, const SubnetPlan& plan, int subnet, int owner, int owners);

// Owner's piece of subnet `subnet`, cut from its shard into `out` (buffers as buffer_floats()).
// REQUIRES: out's buffers have the sizes piece_shape gives.
void cut_piece_from_shard(const ModelShard& shard, const SubnetPlan& plan, int subnet, const std::vector<float*>& out);
// Writes a trained piece of subnet `subnet` back into the shard (the output bias is not written: see
// average_output_bias).
void write_piece_into_shard(ModelShard& shard, const SubnetPlan& plan, int subnet, const std::vector<const float*>& in);

// The same pieces seen from the subnet's side: the owner's piece written into / cut from a subnet (an Mlp
// shaped as slice_shape says).
void write_piece_into_subnet(const PieceShape& shape, const std::vector<const float*>& in, Mlp& subnet);
void cut_piece_from_subnet(const PieceShape& shape, const Mlp& subnet, const std::vector<float*>& out);

// A subnet of full's widths, shaped and scaled as slice_shape says, its parameters left to fill.
Mlp empty_subnet(const std::vector<int>& widths, const SubnetPlan& plan, int subnet, SubnetScaling scaling);

// Owner 0: the output bias becomes the mean of the returned subnets' biases, summed in the order given
// (the same arithmetic as merge_slice_views). With none returned it stays.
void average_output_bias(ModelShard& shard, const std::vector<const float*>& returned_biases);

}  // namespace ist
