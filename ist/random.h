// Seeded, portable randomness. Every random choice in the project (initialization, partitions, shard
// assignment, batch order) comes from here, so a seed fixes a run bit for bit on any machine and in any
// process: the generators and the integer/float draws are defined here, not by the standard library,
// whose distributions differ between implementations.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace ist {

// One step of SplitMix64: a good 64-bit mixer, used to derive independent seeds.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A seed for a named purpose, e.g. derive_seed(seed, {kPurposePartition, round, layer}).
inline std::uint64_t derive_seed(std::uint64_t seed, std::initializer_list<std::uint64_t> parts) {
  std::uint64_t h = splitmix64(seed);
  for (std::uint64_t p : parts) h = splitmix64(h ^ splitmix64(p));
  return h;
}

// Purposes for derive_seed: each random stream has its own, so adding one never shifts another.
enum SeedPurpose : std::uint64_t {
  kSeedInit = 1,
  kSeedPartition = 2,
  kSeedShard = 3,
  kSeedBatchOrder = 4,
  kSeedHoldout = 5,
};

// 128-bit product for unbiased bounded draws (a GCC/Clang extension, named once here).
__extension__ typedef unsigned __int128 UInt128;

// xoshiro256**: fast, small state (four words), easy to checkpoint.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t x = seed;
    for (auto& s : state_) {
      x = splitmix64(x);
      s = x;
    }
  }
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  // Uniform integer in [0, bound), unbiased (Lemire's method). REQUIRES: bound > 0.
  std::uint64_t uniform_below(std::uint64_t bound) {
    UInt128 m = static_cast<UInt128>(next_u64()) * bound;
    auto low = static_cast<std::uint64_t>(m);
    if (low < bound) {
      const std::uint64_t threshold = (0 - bound) % bound;
      while (low < threshold) {
        m = static_cast<UInt128>(next_u64()) * bound;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }
  // Uniform float in [0, 1) with 24 random bits.
  float uniform_float() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }
  // Standard normal (Box-Muller, one value per call; deterministic).
  float normal() {
    float u1 = uniform_float();
    while (u1 <= 0.0f) u1 = uniform_float();
    const float u2 = uniform_float();
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530717958647692f * u2);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t state_[4];
};

// Fisher-Yates shuffle of values in place, driven by rng.
template <typename T>
void shuffle_in_place(std::vector<T>& values, Rng& rng) {
  for (std::size_t i = values.size(); i > 1; --i) {
    const std::size_t j = rng.uniform_below(i);
    std::swap(values[i - 1], values[j]);
  }
}

}  // namespace ist
