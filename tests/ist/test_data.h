// Small synthetic data sets and helpers shared by the numerics tests.
#pragma once

#include <cstdint>
#include <vector>

#include "ist/data.h"
#include "ist/random.h"

namespace ist::testing {

// A learnable toy problem: class = index of the largest of the first `classes` features, plus noise.
inline Dataset make_toy_dataset(int examples, int features, int classes, std::uint64_t seed) {
  Dataset d;
  d.num_classes = classes;
  d.features.resize(examples, features);
  d.labels.resize(static_cast<std::size_t>(examples));
  Rng rng(seed);
  for (int i = 0; i < examples; ++i) {
    for (int j = 0; j < features; ++j) d.features(i, j) = rng.uniform_float();
    Index best = 0;
    d.features.row(i).head(classes).maxCoeff(&best);
    d.labels[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(best);
  }
  return d;
}

inline const char* fashion_mnist_dir() { return "/usr/share/datasets/fashion-mnist"; }

}  // namespace ist::testing
