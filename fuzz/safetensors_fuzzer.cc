// libFuzzer target: arbitrary bytes as a safetensors file (load_safetensors), as a model file
// (load_model) and as a driver checkpoint (load_checkpoint). A file that reads as safetensors is also
// given a correct checksum and read as a checkpoint again, so the fuzzer reaches the checkpoint's
// metadata fields (numbers, cursors, tag) and not only the checksum test.
// Must never crash, leak or hang: a bad file is a corrupt_data error.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "actors/checkpoint.h"
#include "fuzz/fuzz_input.h"
#include "ist/checksum.h"
#include "ist/model_io.h"
#include "ist/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path =
      ist::fuzz::scratch_file("tensors.safetensors", std::string(reinterpret_cast<const char*>(data), size));
  (void)ist::load_model(path);
  (void)ist::actors::load_checkpoint(path);
  auto file = ist::load_safetensors(path);
  if (!file.ok()) return 0;
  char crc[32];
  std::snprintf(crc, sizeof(crc), "crc32:%08x", ist::tensor_file_crc32(*file, "checksum"));  // as checkpoint.cc stamps it
  file->metadata["checksum"] = crc;
  if (!ist::save_safetensors(path, *file).ok()) return 0;
  (void)ist::actors::load_checkpoint(path);
  return 0;
}
