#include "ist/model_shard.h"

#include <algorithm>
#include <string>

namespace ist {

namespace {

int hidden_layers(const std::vector<int>& widths) { return static_cast<int>(widths.size()) - 2; }

// The positions [first, last) of a sorted neuron list that fall in an owner's range.
std::pair<Index, Index> positions_in(const std::vector<std::int32_t>& neurons, OwnedRange range) {
  const auto first = std::lower_bound(neurons.begin(), neurons.end(), range.begin);
  const auto last = std::lower_bound(first, neurons.end(), range.end);
  return {first - neurons.begin(), last - neurons.begin()};
}

}  // namespace

OwnedRange owned_range(int width, int owner, int owners) {
  const auto at = [&](int o) {
    return static_cast<std::int32_t>(static_cast<std::int64_t>(o) * width / owners);
  };
  return OwnedRange{at(owner), at(owner + 1)};
}

std::int64_t ModelShard::parameter_count() const {
  std::int64_t count = output_columns.size() + output_bias.size();
  for (const Linear& layer : hidden) count += layer.weight.size() + layer.bias.size();
  return count;
}

Result<ModelShard> cut_shard(const Mlp& full, int owner, int owners) {
  const std::vector<int> widths = full.widths();
  if (hidden_layers(widths) < 1) return Status::invalid_argument("a partitioned model needs a hidden layer");
  const int narrowest = *std::min_element(widths.begin() + 1, widths.end() - 1);
  if (owners < 1 || owners > narrowest) {
    return Status::invalid_argument(std::to_string(owners) + " owners for a model whose narrowest hidden layer has " +
                                    std::to_string(narrowest) + " neurons (each owner needs at least one)");
  }
  if (owner < 0 || owner >= owners) {
    return Status::invalid_argument("owner " + std::to_string(owner) + " outside 0.." + std::to_string(owners - 1));
  }
  ModelShard shard;
  shard.owner = owner;
  shard.owners = owners;
  shard.widths = widths;
  for (int l = 0; l < hidden_layers(widths); ++l) {
    const Linear& src = full.layers[static_cast<std::size_t>(l)];
    const OwnedRange r = owned_range(widths[static_cast<std::size_t>(l) + 1], owner, owners);
    Linear owned;
    owned.weight = src.weight.middleRows(r.begin, r.size());
    owned.bias = src.bias.segment(r.begin, r.size());
    shard.hidden.push_back(std::move(owned));
  }
  const Linear& out = full.layers.back();
  const OwnedRange last = owned_range(static_cast<int>(out.inputs()), owner, owners);
  shard.output_columns = out.weight.middleCols(last.begin, last.size());
  if (owner == 0) shard.output_bias = out.bias;
  return shard;
}

Mlp unfilled_model(const std::vector<int>& widths) {
  Mlp model;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    Linear layer;
    layer.weight.resize(widths[l + 1], widths[l]);
    layer.bias.resize(widths[l + 1]);
    model.layers.push_back(std::move(layer));
  }
  return model;
}

Status place_shard(const ModelShard& shard, Mlp& full) {
  if (shard.widths != full.widths() || static_cast<int>(shard.hidden.size()) != hidden_layers(shard.widths)) {
    return Status::invalid_argument("shard " + std::to_string(shard.owner) + " has other widths than the model");
  }
  for (std::size_t l = 0; l < shard.hidden.size(); ++l) {
    Linear& dst = full.layers[l];
    const OwnedRange r = owned_range(shard.widths[l + 1], shard.owner, shard.owners);
    const Linear& src = shard.hidden[l];
    if (src.weight.rows() != r.size() || src.weight.cols() != dst.inputs() || src.bias.size() != r.size()) {
      return Status::invalid_argument("shard " + std::to_string(shard.owner) + ": hidden layer " + std::to_string(l + 1) +
                                      " has the wrong shape");
    }
    dst.weight.middleRows(r.begin, r.size()) = src.weight;
    dst.bias.segment(r.begin, r.size()) = src.bias;
  }
  Linear& out = full.layers.back();
  const OwnedRange last = owned_range(static_cast<int>(out.inputs()), shard.owner, shard.owners);
  if (shard.output_columns.rows() != out.outputs() || shard.output_columns.cols() != last.size() ||
      (shard.owner == 0 && shard.output_bias.size() != out.outputs())) {
    return Status::invalid_argument("shard " + std::to_string(shard.owner) + ": the output layer has the wrong shape");
  }
  out.weight.middleCols(last.begin, last.size()) = shard.output_columns;
  if (shard.owner == 0) out.bias = shard.output_bias;
  return Status::ok_status();
}

std::vector<std::int64_t> PieceShape::buffer_floats() const {
  std::vector<std::int64_t> floats;
  for (std::size_t l = 0; l < rows.size(); ++l) {
    floats.push_back(rows[l] * cols[l]);
    floats.push_back(rows[l]);
  }
  floats.push_back(classes * output_columns);
  floats.push_back(with_output_bias ? classes : 0);
  return floats;
}

PieceShape piece_shape(const std::vector<int>& widths, const SubnetPlan& plan, int subnet, int owner, int owners) {
  PieceShape shape;
  const int hidden = hidden_layers(widths);
  for (int l = 0; l < hidden; ++l) {
    const auto& neurons = plan.groups[static_cast<std::size_t>(l)][static_cast<std::size_t>(subnet)];
    const auto [first, last] = positions_in(neurons, owned_range(widths[static_cast<std::size_t>(l) + 1], owner, owners));
    shape.first_row.push_back(first);
    shape.rows.push_back(last - first);
    shape.cols.push_back(l == 0 ? widths.front()
                                : static_cast<Index>(plan.groups[static_cast<std::size_t>(l) - 1][static_cast<std::size_t>(subnet)].size()));
  }
  const auto& top = plan.groups[static_cast<std::size_t>(hidden) - 1][static_cast<std::size_t>(subnet)];
  const auto [first, last] = positions_in(top, owned_range(widths[static_cast<std::size_t>(hidden)], owner, owners));
  shape.first_output_column = first;
  shape.output_columns = last - first;
  shape.classes = widths.back();
  shape.with_output_bias = owner == 0;
  return shape;
}

std::int64_t slice_length(const SliceShape& subnet) {
  std::int64_t n = 0;
  for (std::size_t l = 0; l < subnet.rows.size(); ++l) n += subnet.rows[l] * subnet.cols[l] + subnet.rows[l];
  return n;
}

std::vector<PieceRun> piece_runs(const PieceShape& piece, const SliceShape& subnet) {
  std::vector<PieceRun> runs;
  std::int64_t layer_start = 0;  // flat position of the layer's weight
  const std::size_t hidden = piece.rows.size();
  for (std::size_t l = 0; l < hidden; ++l) {
    const std::int64_t rows = subnet.rows[l], cols = subnet.cols[l];
    runs.push_back({2 * l, 0, layer_start + piece.first_row[l] * cols, piece.rows[l] * cols});
    runs.push_back({2 * l + 1, 0, layer_start + rows * cols + piece.first_row[l], piece.rows[l]});
    layer_start += rows * cols + rows;
  }
  const std::int64_t top = subnet.cols[hidden];  // the output layer's inputs: the subnet's last hidden width
  for (Index k = 0; k < piece.classes; ++k) {
    runs.push_back({2 * hidden, k * piece.output_columns, layer_start + k * top + piece.first_output_column, piece.output_columns});
  }
  if (piece.with_output_bias) runs.push_back({2 * hidden + 1, 0, layer_start + piece.classes * top, piece.classes});
  return runs;
}

void cut_piece_from_shard(const ModelShard& shard, const SubnetPlan& plan, int subnet, const std::vector<float*>& out) {
  const PieceShape shape = piece_shape(shard.widths, plan, subnet, shard.owner, shard.owners);
  const std::size_t hidden = shard.hidden.size();
  for (std::size_t l = 0; l < hidden; ++l) {
    const auto& neurons = plan.groups[l][static_cast<std::size_t>(subnet)];
    const std::int32_t begin = owned_range(shard.widths[l + 1], shard.owner, shard.owners).begin;
    const Linear& src = shard.hidden[l];
    float* weight = out[2 * l];
    float* bias = out[2 * l + 1];
    for (Index i = 0; i < shape.rows[l]; ++i) {
      const Index local = neurons[static_cast<std::size_t>(shape.first_row[l] + i)] - begin;
      bias[i] = src.bias(local);
      const float* row = src.weight.data() + local * src.weight.cols();
      float* dst = weight + i * shape.cols[l];
      if (l == 0) {
        std::copy(row, row + shape.cols[l], dst);
      } else {
        const auto& below = plan.groups[l - 1][static_cast<std::size_t>(subnet)];
        for (Index j = 0; j < shape.cols[l]; ++j) dst[j] = row[below[static_cast<std::size_t>(j)]];
      }
    }
  }
  const auto& top = plan.groups[hidden - 1][static_cast<std::size_t>(subnet)];
  const std::int32_t begin = owned_range(shard.widths[hidden], shard.owner, shard.owners).begin;
  float* columns = out[2 * hidden];
  for (Index k = 0; k < shape.classes; ++k) {
    for (Index j = 0; j < shape.output_columns; ++j) {
      const Index local = top[static_cast<std::size_t>(shape.first_output_column + j)] - begin;
      columns[k * shape.output_columns + j] = shard.output_columns(k, local);
    }
  }
  if (shape.with_output_bias) std::copy(shard.output_bias.data(), shard.output_bias.data() + shape.classes, out[2 * hidden + 1]);
}

void write_piece_into_shard(ModelShard& shard, const SubnetPlan& plan, int subnet, const std::vector<const float*>& in) {
  const PieceShape shape = piece_shape(shard.widths, plan, subnet, shard.owner, shard.owners);
  const std::size_t hidden = shard.hidden.size();
  for (std::size_t l = 0; l < hidden; ++l) {
    const auto& neurons = plan.groups[l][static_cast<std::size_t>(subnet)];
    const std::int32_t begin = owned_range(shard.widths[l + 1], shard.owner, shard.owners).begin;
    Linear& dst = shard.hidden[l];
    const float* weight = in[2 * l];
    const float* bias = in[2 * l + 1];
    for (Index i = 0; i < shape.rows[l]; ++i) {
      const Index local = neurons[static_cast<std::size_t>(shape.first_row[l] + i)] - begin;
      dst.bias(local) = bias[i];
      float* row = dst.weight.data() + local * dst.weight.cols();
      const float* src = weight + i * shape.cols[l];
      if (l == 0) {
        std::copy(src, src + shape.cols[l], row);
      } else {
        const auto& below = plan.groups[l - 1][static_cast<std::size_t>(subnet)];
        for (Index j = 0; j < shape.cols[l]; ++j) row[below[static_cast<std::size_t>(j)]] = src[j];
      }
    }
  }
  const auto& top = plan.groups[hidden - 1][static_cast<std::size_t>(subnet)];
  const std::int32_t begin = owned_range(shard.widths[hidden], shard.owner, shard.owners).begin;
  const float* columns = in[2 * hidden];
  for (Index k = 0; k < shape.classes; ++k) {
    for (Index j = 0; j < shape.output_columns; ++j) {
      const Index local = top[static_cast<std::size_t>(shape.first_output_column + j)] - begin;
      shard.output_columns(k, local) = columns[k * shape.output_columns + j];
    }
  }
}

void write_piece_into_subnet(const PieceShape& shape, const std::vector<const float*>& in, Mlp& subnet) {
  const std::size_t hidden = shape.rows.size();
  for (std::size_t l = 0; l < hidden; ++l) {
    Linear& dst = subnet.layers[l];
    std::copy(in[2 * l], in[2 * l] + shape.rows[l] * shape.cols[l], dst.weight.data() + shape.first_row[l] * shape.cols[l]);
    std::copy(in[2 * l + 1], in[2 * l + 1] + shape.rows[l], dst.bias.data() + shape.first_row[l]);
  }
  Linear& out = subnet.layers.back();
  for (Index k = 0; k < shape.classes; ++k) {
    std::copy(in[2 * hidden] + k * shape.output_columns, in[2 * hidden] + (k + 1) * shape.output_columns,
              out.weight.data() + k * out.weight.cols() + shape.first_output_column);
  }
  if (shape.with_output_bias) std::copy(in[2 * hidden + 1], in[2 * hidden + 1] + shape.classes, out.bias.data());
}

void cut_piece_from_subnet(const PieceShape& shape, const Mlp& subnet, const std::vector<float*>& out) {
  const std::size_t hidden = shape.rows.size();
  for (std::size_t l = 0; l < hidden; ++l) {
    const Linear& src = subnet.layers[l];
    const float* weight = src.weight.data() + shape.first_row[l] * shape.cols[l];
    std::copy(weight, weight + shape.rows[l] * shape.cols[l], out[2 * l]);
    std::copy(src.bias.data() + shape.first_row[l], src.bias.data() + shape.first_row[l] + shape.rows[l], out[2 * l + 1]);
  }
  const Linear& top = subnet.layers.back();
  for (Index k = 0; k < shape.classes; ++k) {
    const float* row = top.weight.data() + k * top.weight.cols() + shape.first_output_column;
    std::copy(row, row + shape.output_columns, out[2 * hidden] + k * shape.output_columns);
  }
  if (shape.with_output_bias) std::copy(top.bias.data(), top.bias.data() + shape.classes, out[2 * hidden + 1]);
}

Mlp empty_subnet(const std::vector<int>& widths, const SubnetPlan& plan, int subnet, SubnetScaling scaling) {
  const SliceShape shape = slice_shape(widths, plan, subnet, scaling);
  Mlp net;
  net.layers.resize(shape.rows.size());
  for (std::size_t l = 0; l < shape.rows.size(); ++l) {
    net.layers[l].weight.resize(shape.rows[l], shape.cols[l]);
    net.layers[l].bias.resize(shape.rows[l]);
    net.layers[l].input_scale = shape.input_scales[l];
  }
  return net;
}

void average_output_bias(ModelShard& shard, const std::vector<const float*>& returned_biases) {
  if (returned_biases.empty() || shard.output_bias.size() == 0) return;
  // The same expression as merge_slice_views, so the sum rounds the same way.
  Vector sum = Vector::Zero(shard.output_bias.size());
  for (const float* bias : returned_biases) sum += Eigen::Map<const Vector>(bias, shard.output_bias.size());
  shard.output_bias = sum / static_cast<float>(returned_biases.size());
}

}  // namespace ist
