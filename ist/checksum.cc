#include "ist/checksum.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <span>
#include <vector>

namespace ist {
namespace {

class Crc {
 public:
  void bytes(const void* data, std::size_t size) {
    const auto* p = static_cast<const Bytef*>(data);
    while (size > 0) {  // zlib takes uInt lengths
      const auto chunk = static_cast<uInt>(std::min<std::size_t>(size, std::size_t{1} << 30));
      crc_ = ::crc32(crc_, p, chunk);
      p += chunk;
      size -= chunk;
    }
  }
  void u64(std::uint64_t v) {
    unsigned char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<unsigned char>(v >> (8 * i));
    bytes(le, sizeof(le));
  }
  void text(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void floats(std::span<const float> values) {
    u64(values.size());
    if constexpr (std::endian::native == std::endian::little) {
      bytes(values.data(), values.size() * sizeof(float));
    } else {
      for (float v : values) {
        const auto u = std::bit_cast<std::uint32_t>(v);
        const unsigned char le[4] = {static_cast<unsigned char>(u), static_cast<unsigned char>(u >> 8),
                                     static_cast<unsigned char>(u >> 16),
                                     static_cast<unsigned char>(u >> 24)};
        bytes(le, sizeof(le));
      }
    }
  }
  std::uint32_t value() const { return static_cast<std::uint32_t>(crc_); }

 private:
  uLong crc_ = ::crc32(0L, Z_NULL, 0);
};

}  // namespace

std::uint32_t tensor_file_crc32(const TensorFile& file, const std::string& excluded_key) {
  return tensor_file_crc32(views_of(file), file.metadata, excluded_key);
}

std::uint32_t tensor_file_crc32(const std::vector<TensorView>& tensors, const std::map<std::string, std::string>& metadata,
                                const std::string& excluded_key) {
  Crc crc;
  crc.u64(tensors.size());
  for (const TensorView& t : tensors) {
    crc.text(t.name);
    crc.u64(t.shape.size());
    for (std::int64_t d : t.shape) crc.u64(static_cast<std::uint64_t>(d));
    crc.floats(t.values);
  }
  for (const auto& [key, value] : metadata) {
    if (key == excluded_key) continue;
    crc.text(key);
    crc.text(value);
  }
  return crc.value();
}

}  // namespace ist
