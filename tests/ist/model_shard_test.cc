#include <gtest/gtest.h>

#include "ist/model_shard.h"
#include "ist/partition.h"
#include "ist/slice.h"

namespace ist {
namespace {

std::vector<int> hidden_of(const std::vector<int>& widths) { return {widths.begin() + 1, widths.end() - 1}; }

// Buffers for one piece, as piece_shape says.
struct PieceBuffers {
  std::vector<std::vector<float>> storage;
  explicit PieceBuffers(const PieceShape& shape) {
    for (std::int64_t n : shape.buffer_floats()) storage.emplace_back(static_cast<std::size_t>(n), -7.0f);
  }
  std::vector<float*> out() {
    std::vector<float*> p;
    for (auto& b : storage) p.push_back(b.data());
    return p;
  }
  std::vector<const float*> in() const {
    std::vector<const float*> p;
    for (const auto& b : storage) p.push_back(b.data());
    return p;
  }
};

std::vector<ModelShard> cut_all(const Mlp& model, int owners) {
  std::vector<ModelShard> shards;
  for (int o = 0; o < owners; ++o) shards.push_back(cut_shard(model, o, owners).value());
  return shards;
}

TEST(ModelShard, OwnedRangesCoverEveryNeuronOnceWithSizesWithinOne) {
  for (int width : {3, 7, 64}) {
    for (int owners = 1; owners <= 3; ++owners) {
      std::int32_t next = 0;
      for (int o = 0; o < owners; ++o) {
        const OwnedRange r = owned_range(width, o, owners);
        EXPECT_EQ(r.begin, next);
        EXPECT_LE(std::abs(r.size() - width / owners), 1);
        next = r.end;
      }
      EXPECT_EQ(next, width);
    }
  }
}

TEST(ModelShard, CuttingIntoShardsAndPlacingThemBackRebuildsTheModel) {
  const std::vector<int> widths = {13, 11, 9, 5};
  const Mlp model = make_mlp(widths, 3).value();
  Mlp rebuilt = make_mlp(widths, 99).value();
  const std::vector<ModelShard> shards = cut_all(model, 3);
  std::int64_t held = 0;
  for (const ModelShard& shard : shards) {
    ASSERT_TRUE(place_shard(shard, rebuilt).ok());
    held += shard.parameter_count();
  }
  EXPECT_EQ(parameter_hash(rebuilt), parameter_hash(model));
  EXPECT_EQ(held, model.parameter_count());  // every parameter held exactly once
  EXPECT_LT(shards[1].parameter_count(), model.parameter_count() / 2);
}

TEST(ModelShard, RefusesMoreOwnersThanTheNarrowestHiddenLayerHasNeurons) {
  const Mlp model = make_mlp({6, 8, 2, 3}, 1).value();
  const auto shard = cut_shard(model, 0, 3);
  ASSERT_FALSE(shard.ok());
  EXPECT_NE(shard.status().message().find("narrowest hidden layer has 2"), std::string::npos);
}

TEST(ModelShard, PiecesFromEveryOwnerAssembleExactlyTheExtractedSubnet) {
  const std::vector<int> widths = {13, 11, 9, 5};
  const Mlp model = make_mlp(widths, 4).value();
  const int owners = 3;
  const std::vector<ModelShard> shards = cut_all(model, owners);
  const SubnetPlan plan = make_partition(hidden_of(widths), 4, 7, 2).value();
  for (int s = 0; s < plan.num_subnets; ++s) {
    const Slice expected = extract_slice(model, plan, s, SubnetScaling::kInvertedDropout);
    Mlp assembled = empty_subnet(widths, plan, s, SubnetScaling::kInvertedDropout);
    for (int o = 0; o < owners; ++o) {
      const PieceShape shape = piece_shape(widths, plan, s, o, owners);
      PieceBuffers piece(shape);
      cut_piece_from_shard(shards[static_cast<std::size_t>(o)], plan, s, piece.out());
      write_piece_into_subnet(shape, piece.in(), assembled);
    }
    EXPECT_EQ(parameter_hash(assembled), parameter_hash(expected.model)) << "subnet " << s;
    for (std::size_t l = 0; l < assembled.layers.size(); ++l) {
      EXPECT_EQ(assembled.layers[l].input_scale, expected.model.layers[l].input_scale);
    }
  }
}

TEST(ModelShard, TrainedPiecesWrittenBackEqualTheCentralMerge) {
  const std::vector<int> widths = {13, 11, 9, 5};
  Mlp central = make_mlp(widths, 5).value();
  const int owners = 2;
  std::vector<ModelShard> shards = cut_all(central, owners);
  const SubnetPlan plan = make_partition(hidden_of(widths), 3, 9, 1).value();
  // "Training": every parameter of subnet s moves by a subnet-dependent amount.
  std::vector<Slice> trained;
  for (int s = 0; s < plan.num_subnets; ++s) {
    Slice slice = extract_slice(central, plan, s, SubnetScaling::kInvertedDropout);
    for (Linear& layer : slice.model.layers) {
      layer.weight.array() += 0.125f * static_cast<float>(s + 1);
      layer.bias.array() -= 0.3f * static_cast<float>(s + 1);
    }
    trained.push_back(std::move(slice));
  }
  std::vector<std::vector<PieceBuffers>> pieces(owners);
  std::vector<const float*> biases;
  for (int s = 0; s < plan.num_subnets; ++s) {
    for (int o = 0; o < owners; ++o) {
      const PieceShape shape = piece_shape(widths, plan, s, o, owners);
      PieceBuffers& piece = pieces[static_cast<std::size_t>(o)].emplace_back(shape);
      cut_piece_from_subnet(shape, trained[static_cast<std::size_t>(s)].model, piece.out());
      write_piece_into_shard(shards[static_cast<std::size_t>(o)], plan, s, piece.in());
      if (o == 0) biases.push_back(piece.in().back());
    }
  }
  average_output_bias(shards[0], biases);
  ASSERT_TRUE(merge_slices(central, plan, {&trained[0], &trained[1], &trained[2]}).ok());
  Mlp gathered = make_mlp(widths, 77).value();
  for (const ModelShard& shard : shards) ASSERT_TRUE(place_shard(shard, gathered).ok());
  EXPECT_EQ(parameter_hash(gathered), parameter_hash(central));
}

}  // namespace
}  // namespace ist
