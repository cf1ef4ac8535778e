#include "ist/slice.h"

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

Slice extract_slice(const Mlp& full, const SubnetPlan& plan, int subnet, SubnetScaling scaling) {
  Slice slice;
  slice.subnet = subnet;
  slice.neurons = plan.neurons_of(subnet);
  const std::size_t n = full.layers.size();
  slice.model.layers.resize(n);
  for (std::size_t l = 0; l < n; ++l) {
    const Linear& src = full.layers[l];
    Linear& dst = slice.model.layers[l];
    const auto* rows = outputs_of_layer(slice.neurons, l);
    const auto* cols = inputs_of_layer(slice.neurons, l);
    const Index out = count_or(rows, src.outputs());
    const Index in = count_or(cols, src.inputs());
    dst.weight.resize(out, in);
    dst.bias.resize(out);
    for (Index i = 0; i < out; ++i) {
      const Index r = rows == nullptr ? i : (*rows)[static_cast<std::size_t>(i)];
      dst.bias(i) = src.bias(r);
      if (cols == nullptr) {
        dst.weight.row(i) = src.weight.row(r);
      } else {
        const float* src_row = src.weight.data() + r * src.inputs();
        float* dst_row = dst.weight.data() + i * in;
        for (Index j = 0; j < in; ++j) dst_row[j] = src_row[(*cols)[static_cast<std::size_t>(j)]];
      }
    }
    dst.input_scale = 1.0f;
    if (cols != nullptr && scaling == SubnetScaling::kInvertedDropout) {
      dst.input_scale = static_cast<float>(src.inputs()) / static_cast<float>(in);
    } else if (cols != nullptr && scaling == SubnetScaling::kSqrt) {
      dst.input_scale = std::sqrt(static_cast<float>(src.inputs()) / static_cast<float>(in));
    }
  }
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
  std::vector<bool> seen(static_cast<std::size_t>(plan.num_subnets), false);
  for (const Slice* slice : returned) {
    IST_RETURN_IF_ERROR(check_slice_matches_plan(full, plan, *slice));
    if (seen[static_cast<std::size_t>(slice->subnet)]) {
      return Status::invalid_argument("two slices for subnet " + std::to_string(slice->subnet));
    }
    seen[static_cast<std::size_t>(slice->subnet)] = true;
  }
  if (returned.empty()) return Status::ok_status();
  const std::size_t n = full.layers.size();
  for (const Slice* slice : returned) {
    for (std::size_t l = 0; l < n; ++l) {
      Linear& dst = full.layers[l];
      const Linear& src = slice->model.layers[l];
      const auto* rows = outputs_of_layer(slice->neurons, l);
      const auto* cols = inputs_of_layer(slice->neurons, l);
      if (rows == nullptr) {  // output layer: columns only; the shared bias is averaged below
        for (Index i = 0; i < dst.outputs(); ++i) {
          float* dst_row = dst.weight.data() + i * dst.inputs();
          const float* src_row = src.weight.data() + i * src.inputs();
          for (std::size_t j = 0; j < cols->size(); ++j) dst_row[(*cols)[j]] = src_row[j];
        }
        continue;
      }
      for (std::size_t i = 0; i < rows->size(); ++i) {
        const Index r = (*rows)[i];
        dst.bias(r) = src.bias(static_cast<Index>(i));
        if (cols == nullptr) {
          dst.weight.row(r) = src.weight.row(static_cast<Index>(i));
        } else {
          float* dst_row = dst.weight.data() + r * dst.inputs();
          const float* src_row = src.weight.data() + static_cast<Index>(i) * src.inputs();
          for (std::size_t j = 0; j < cols->size(); ++j) dst_row[(*cols)[j]] = src_row[j];
        }
      }
    }
  }
  Vector& shared_bias = full.layers.back().bias;
  Vector sum = Vector::Zero(shared_bias.size());
  for (const Slice* slice : returned) sum += slice->model.layers.back().bias;
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
