#include "ist/slice.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace ist {

namespace {

// The input neurons of layer l in a subnet: all inputs for the first layer, else hidden layer l-1's.
const std::vector<std::int32_t>* inputs_of_layer(const std::vector<std::vector<std::int32_t>>& neurons,
                                                 std::size_t l) {
  return l == 0 ? nullptr : &neurons[l - 1];
}
// The output neurons of layer l in a subnet: hidden layer l's, or all classes for the last layer.
const std::vector<std::int32_t>* outputs_of_layer(const std::vector<std::vector<std::int32_t>>& neurons,
                                                  std::size_t l) {
  return l < neurons.size() ? &neurons[l] : nullptr;
}

Index count_or(const std::vector<std::int32_t>* subset, Index all) {
  return subset == nullptr ? all : static_cast<Index>(subset->size());
}

}  // namespace

SliceView view_of(const Slice& slice) {
  SliceView view{slice.subnet, {}};
  for (const Linear& layer : slice.model.layers) {
    view.layers.push_back(LayerView{layer.weight.data(), layer.bias.data(), layer.weight.rows(), layer.weight.cols()});
  }
  return view;
}

SliceShape slice_shape(const Mlp& full, const SubnetPlan& plan, int subnet, SubnetScaling scaling) {
  return slice_shape(full.widths(), plan, subnet, scaling);
}

SliceShape slice_shape(const std::vector<int>& widths, const SubnetPlan& plan, int subnet, SubnetScaling scaling) {
  SliceShape shape;
  const std::vector<std::vector<std::int32_t>> neurons = plan.neurons_of(subnet);
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    const Index full_in = widths[l];
    const auto* cols = inputs_of_layer(neurons, l);
    const Index in = count_or(cols, full_in);
    shape.rows.push_back(count_or(outputs_of_layer(neurons, l), widths[l + 1]));
    shape.cols.push_back(in);
    float scale = 1.0f;
    if (cols != nullptr && scaling == SubnetScaling::kInvertedDropout) {
      scale = static_cast<float>(full_in) / static_cast<float>(in);
    } else if (cols != nullptr && scaling == SubnetScaling::kSqrt) {
      scale = std::sqrt(static_cast<float>(full_in) / static_cast<float>(in));
    }
    shape.input_scales.push_back(scale);
  }
  return shape;
}

void extract_slice_into(const Mlp& full, const SubnetPlan& plan, int subnet, const std::vector<MutableLayerView>& out) {
  const std::vector<std::vector<std::int32_t>> neurons = plan.neurons_of(subnet);
  for (std::size_t l = 0; l < full.layers.size(); ++l) {
    const Linear& src = full.layers[l];
    const MutableLayerView& dst = out[l];
    const auto* rows = outputs_of_layer(neurons, l);
    const auto* cols = inputs_of_layer(neurons, l);
    for (Index i = 0; i < dst.rows; ++i) {
      const Index r = rows == nullptr ? i : (*rows)[static_cast<std::size_t>(i)];
      dst.bias[i] = src.bias(r);
      const float* src_row = src.weight.data() + r * src.inputs();
      float* dst_row = dst.weight + i * dst.cols;
      if (cols == nullptr) {
        std::copy(src_row, src_row + dst.cols, dst_row);
      } else {
        for (Index j = 0; j < dst.cols; ++j) dst_row[j] = src_row[(*cols)[static_cast<std::size_t>(j)]];
      }
    }
  }
}

Slice extract_slice(const Mlp& full, const SubnetPlan& plan, int subnet, SubnetScaling scaling) {
  Slice slice;
  slice.subnet = subnet;
  slice.neurons = plan.neurons_of(subnet);
  const SliceShape shape = slice_shape(full, plan, subnet, scaling);
  std::vector<MutableLayerView> views;
  slice.model.layers.resize(full.layers.size());
  for (std::size_t l = 0; l < full.layers.size(); ++l) {
    Linear& dst = slice.model.layers[l];
    dst.weight.resize(shape.rows[l], shape.cols[l]);
    dst.bias.resize(shape.rows[l]);
    dst.input_scale = shape.input_scales[l];
    views.push_back(MutableLayerView{dst.weight.data(), dst.bias.data(), shape.rows[l], shape.cols[l]});
  }
  extract_slice_into(full, plan, subnet, views);
  return slice;
}

Status check_slice_matches_plan(const Mlp& full, const SubnetPlan& plan, const Slice& slice) {
  if (slice.subnet < 0 || slice.subnet >= plan.num_subnets) {
    return Status::invalid_argument("slice names subnet " + std::to_string(slice.subnet) + " but the plan has " +
                                    std::to_string(plan.num_subnets));
  }
  if (slice.neurons != plan.neurons_of(slice.subnet)) {
    return Status::invalid_argument("slice of subnet " + std::to_string(slice.subnet) +
                                    " carries other neurons than round " + std::to_string(plan.round) +
                                    "'s plan gives it");
  }
  if (slice.model.layers.size() != full.layers.size()) {
    return Status::invalid_argument("slice of subnet " + std::to_string(slice.subnet) + " has " +
                                    std::to_string(slice.model.layers.size()) + " layers, the model " +
                                    std::to_string(full.layers.size()));
  }
  for (std::size_t l = 0; l < full.layers.size(); ++l) {
    const Linear& layer = slice.model.layers[l];
    const Index out = count_or(outputs_of_layer(slice.neurons, l), full.layers[l].outputs());
    const Index in = count_or(inputs_of_layer(slice.neurons, l), full.layers[l].inputs());
    if (layer.weight.rows() != out || layer.weight.cols() != in || layer.bias.size() != out) {
      return Status::invalid_argument("slice of subnet " + std::to_string(slice.subnet) + ": layer " +
                                      std::to_string(l) + " is " + std::to_string(layer.weight.rows()) + "x" +
                                      std::to_string(layer.weight.cols()) + ", expected " +
                                      std::to_string(out) + "x" + std::to_string(in));
    }
  }
  return Status::ok_status();
}

Status merge_slices(Mlp& full, const SubnetPlan& plan, const std::vector<const Slice*>& returned) {
  std::vector<SliceView> views;
  for (const Slice* slice : returned) {
    IST_RETURN_IF_ERROR(check_slice_matches_plan(full, plan, *slice));
    views.push_back(view_of(*slice));
  }
  return merge_slice_views(full, plan, views);
}

std::optional<std::string> first_non_finite(const SliceView& view) {
  for (std::size_t l = 0; l < view.layers.size(); ++l) {
    const LayerView& layer = view.layers[l];
    if (!all_finite(layer.weight, layer.rows * layer.cols)) return "layer " + std::to_string(l) + " weight";
    if (!all_finite(layer.bias, layer.rows)) return "layer " + std::to_string(l) + " bias";
  }
  return std::nullopt;
}

Status check_slice_view(const Mlp& full, const SubnetPlan& plan, const SliceView& view) {
  const std::string which = "slice of subnet " + std::to_string(view.subnet);
  if (view.subnet < 0 || view.subnet >= plan.num_subnets) {
    return Status::invalid_argument(which + ": the plan has " + std::to_string(plan.num_subnets) + " subnets");
  }
  const std::size_t n = full.layers.size();
  if (view.layers.size() != n) {
    return Status::invalid_argument(which + " has " + std::to_string(view.layers.size()) + " layers, the model " +
                                    std::to_string(n));
  }
  const std::vector<std::vector<std::int32_t>> neurons = plan.neurons_of(view.subnet);
  for (std::size_t l = 0; l < n; ++l) {
    const Index out = count_or(outputs_of_layer(neurons, l), full.layers[l].outputs());
    const Index in = count_or(inputs_of_layer(neurons, l), full.layers[l].inputs());
    if (view.layers[l].rows != out || view.layers[l].cols != in) {
      return Status::invalid_argument(which + ": layer " + std::to_string(l) + " is " +
                                      std::to_string(view.layers[l].rows) + "x" + std::to_string(view.layers[l].cols) +
                                      ", expected " + std::to_string(out) + "x" + std::to_string(in));
    }
  }
  return Status::ok_status();
}

Status merge_slice_views(Mlp& full, const SubnetPlan& plan, const std::vector<SliceView>& returned) {
  const std::size_t n = full.layers.size();
  std::vector<bool> seen(static_cast<std::size_t>(plan.num_subnets), false);
  std::vector<std::vector<std::vector<std::int32_t>>> neurons;
  for (const SliceView& view : returned) {
    IST_RETURN_IF_ERROR(check_slice_view(full, plan, view));
    if (seen[static_cast<std::size_t>(view.subnet)]) return Status::invalid_argument("two slices for subnet " + std::to_string(view.subnet));
    seen[static_cast<std::size_t>(view.subnet)] = true;
    neurons.push_back(plan.neurons_of(view.subnet));
  }
  if (returned.empty()) return Status::ok_status();
  for (std::size_t v = 0; v < returned.size(); ++v) {
    for (std::size_t l = 0; l < n; ++l) {
      Linear& dst = full.layers[l];
      const LayerView& src = returned[v].layers[l];
      const auto* rows = outputs_of_layer(neurons[v], l);
      const auto* cols = inputs_of_layer(neurons[v], l);
      if (rows == nullptr) {  // output layer: columns only; the shared bias is averaged below
        for (Index i = 0; i < dst.outputs(); ++i) {
          float* dst_row = dst.weight.data() + i * dst.inputs();
          const float* src_row = src.weight + i * src.cols;
          for (std::size_t j = 0; j < cols->size(); ++j) dst_row[(*cols)[j]] = src_row[j];
        }
        continue;
      }
      for (std::size_t i = 0; i < rows->size(); ++i) {
        const Index r = (*rows)[i];
        dst.bias(r) = src.bias[i];
        float* dst_row = dst.weight.data() + r * dst.inputs();
        const float* src_row = src.weight + static_cast<Index>(i) * src.cols;
        if (cols == nullptr) {
          std::copy(src_row, src_row + src.cols, dst_row);
        } else {
          for (std::size_t j = 0; j < cols->size(); ++j) dst_row[(*cols)[j]] = src_row[j];
        }
      }
    }
  }
  Vector& shared_bias = full.layers.back().bias;
  Vector sum = Vector::Zero(shared_bias.size());
  for (const SliceView& view : returned) sum += Eigen::Map<const Vector>(view.layers.back().bias, shared_bias.size());
  shared_bias = sum / static_cast<float>(returned.size());
  return Status::ok_status();
}

std::int64_t slice_parameter_count(const std::vector<int>& widths, const SubnetPlan& plan, int subnet) {
  std::int64_t count = 0;
  std::int64_t previous = widths.front();
  for (std::size_t l = 1; l < widths.size(); ++l) {
    const bool hidden = l + 1 < widths.size();
    const std::int64_t out =
        hidden ? static_cast<std::int64_t>(plan.groups[l - 1][static_cast<std::size_t>(subnet)].size())
               : widths[l];
    count += out * previous + out;
    previous = out;
  }
  return count;
}

}  // namespace ist
