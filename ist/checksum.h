// A checksum over what a safetensors file holds (ist/safetensors.h), to tell a damaged file from a good
// one: a flipped bit in a tensor or in a metadata value changes it. Not a defense against tampering.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ist/safetensors.h"

namespace ist {

// CRC-32 (zlib's) over every tensor's name, shape and float bytes (little endian, as stored), in file
// order, then every metadata entry but `excluded_key` (where the checksum itself is kept), in key order.
// Every field is length-prefixed, so moving bytes between fields changes the sum. Same on every host.
std::uint32_t tensor_file_crc32(const TensorFile& file, const std::string& excluded_key);
// The same checksum over tensors held elsewhere and their metadata (reads them in place).
std::uint32_t tensor_file_crc32(const std::vector<TensorView>& tensors, const std::map<std::string, std::string>& metadata,
                                const std::string& excluded_key);

}  // namespace ist
