#include "ist/subnet_groups.h"

#include <algorithm>
#include <string>

#include "ist/flat_parameters.h"
#include "ist/ring_allreduce.h"

namespace ist {

int subnets_for_round(int configured_subnets, int trainers) {
  if (configured_subnets <= 0) return trainers;
  return std::min(configured_subnets, trainers);
}

namespace {

std::int64_t view_length(const SliceView& view) {
  std::int64_t n = 0;
  for (const LayerView& layer : view.layers) n += layer.rows * layer.cols + layer.rows;
  return n;
}

// The slice in flatten_parameters' order (weight then bias, layer by layer), so a ring sum over these
// vectors adds every float in the order local SGD adds it.
std::vector<float> flatten_view(const SliceView& view) {
  std::vector<float> flat;
  flat.reserve(static_cast<std::size_t>(view_length(view)));
  for (const LayerView& layer : view.layers) {
    flat.insert(flat.end(), layer.weight, layer.weight + layer.rows * layer.cols);
    flat.insert(flat.end(), layer.bias, layer.bias + layer.rows);
  }
  return flat;
}

SliceView view_into(const SliceView& shape, const std::vector<float>& flat) {
  SliceView view{shape.subnet, {}};
  const float* at = flat.data();
  for (const LayerView& layer : shape.layers) {
    const float* weight = at;
    at += layer.rows * layer.cols;
    view.layers.push_back(LayerView{weight, at, layer.rows, layer.cols});
    at += layer.rows;
  }
  return view;
}

}  // namespace

Result<GroupedSlices> average_groups(const Mlp& full, const SubnetPlan& plan,
                                     const std::vector<SliceView>& returned) {
  std::vector<std::vector<const SliceView*>> members(static_cast<std::size_t>(plan.num_subnets));
  for (const SliceView& view : returned) {
    IST_RETURN_IF_ERROR(check_slice_view(full, plan, view));
    members[static_cast<std::size_t>(view.subnet)].push_back(&view);
  }
  GroupedSlices grouped;
  grouped.storage.reserve(members.size());
  for (const std::vector<const SliceView*>& group : members) {
    if (group.empty()) continue;  // every member lost: the subnet keeps its start-of-round values
    if (group.size() == 1) {
      grouped.views.push_back(*group.front());
      continue;
    }
    std::vector<std::vector<float>> flat;
    std::vector<std::vector<float>*> buffers;
    flat.reserve(group.size());
    for (const SliceView* view : group) flat.push_back(flatten_view(*view));
    for (std::vector<float>& f : flat) buffers.push_back(&f);
    ring_allreduce_sum_in_process(buffers);
    scale_to_mean(flat.front(), static_cast<int>(group.size()));
    grouped.storage.push_back(std::move(flat.front()));
    grouped.views.push_back(view_into(*group.front(), grouped.storage.back()));
  }
  return grouped;
}

void ring_mean_run(std::int64_t length, std::int64_t begin, std::int64_t count, const std::vector<const float*>& members,
                   float* out) {
  const int m = static_cast<int>(members.size());
  const float inv = 1.0f / static_cast<float>(m);  // scale_to_mean's factor
  for (int c = 0; c < m; ++c) {
    // Chunk c's sum starts at member c, and each member after it in ring order adds its value.
    const ChunkRange chunk = ring_chunk(length, m, c);
    const std::int64_t lo = std::max(begin, chunk.begin), hi = std::min(begin + count, chunk.end);
    for (std::int64_t pos = lo; pos < hi; ++pos) {
      const std::size_t i = static_cast<std::size_t>(pos - begin);
      float sum = members[static_cast<std::size_t>(c)][i];
      for (int k = 1; k < m; ++k) sum = members[static_cast<std::size_t>((c + k) % m)][i] + sum;
      out[i] = sum * inv;
    }
  }
}

std::vector<SliceView> views_of(const std::vector<Slice>& slices) {
  std::vector<SliceView> views;
  for (const Slice& slice : slices) views.push_back(view_of(slice));
  return views;
}

}  // namespace ist
