// Reading and writing the safetensors format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length, a JSON header naming each tensor's dtype, shape and byte range, then the
// raw little-endian tensor bytes. Only float32 ("F32") tensors are written or accepted here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace ist {

struct NamedTensor {
  std::string name;
  std::vector<std::int64_t> shape;  // row-major; product equals values.size()
  std::vector<float> values;
};

struct TensorFile {
  std::vector<NamedTensor> tensors;               // in file order (sorted by byte offset)
  std::map<std::string, std::string> metadata;    // the header's "__metadata__" (string to string)
};

// A float32 tensor held in someone else's memory (e.g. a model's weights), for writing without a copy.
// The view does not own the values; they must outlive the call that reads them.
struct TensorView {
  std::string name;
  std::vector<std::int64_t> shape;  // row-major; product equals values.size()
  std::span<const float> values;
};
// Views of a TensorFile's tensors, in file order.
std::vector<TensorView> views_of(const TensorFile& file);

// Writes the file atomically (temporary file, fsync, rename): a reader never sees half a file.
// Errors: invalid_argument (a shape that disagrees with its values, a duplicate or empty name),
// io_error (naming the path and the OS error).
Status save_safetensors(const std::string& path, const TensorFile& file);
// The same file written straight from the tensors' own memory: nothing model-sized is allocated (the
// bytes go to the file as they are on little-endian hosts, through a small buffer elsewhere).
Status save_safetensors(const std::string& path, const std::vector<TensorView>& tensors,
                        const std::map<std::string, std::string>& metadata);

// Errors name the path and the problem: not_found, corrupt_data (short file, header length beyond the
// file, malformed JSON, a dtype other than F32, offsets out of range or overlapping, shape and byte
// count that disagree). Strict like the reference reader: the tensors' byte ranges must tile the data
// section exactly, so a gap between tensors or bytes after the last one are corrupt_data too.
Result<TensorFile> load_safetensors(const std::string& path);

// Writes bytes to path atomically: write to "path.tmp-<pid>-<n>" (n counts calls in this process, so
// concurrent writers never share a temporary), fsync it, rename over path, fsync the directory. On
// failure the temporary is removed. Errors: io_error naming the path and the OS error.
Status write_file_atomically(const std::string& path, const std::string& bytes);
// The same, with the bytes handed over in pieces: produce(append) calls append(data, size) for each piece
// in order and returns append's first error (or its own).
using AppendBytes = std::function<Status(const void* data, std::size_t size)>;
Status write_file_atomically(const std::string& path, const std::function<Status(const AppendBytes& append)>& produce);

}  // namespace ist
