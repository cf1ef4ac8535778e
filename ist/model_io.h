// A model as a safetensors file: tensors "layers.<l>.weight" (out x in) and "layers.<l>.bias" (out),
// float32, so PyTorch (`safetensors.torch.load_file`) and other tools can read a trained model.
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "ist/mlp.h"
#include "ist/safetensors.h"

namespace ist {

TensorFile model_to_tensors(const Mlp& model, std::map<std::string, std::string> metadata = {});

// Errors: corrupt_data naming the missing or mis-shaped tensor (layers must be consecutive from 0 and
// chain: each layer's inputs equal the previous layer's outputs).
Result<Mlp> model_from_tensors(const TensorFile& file);

// Atomic write (see save_safetensors). Metadata gets "format": "ist-mlp" and "widths": "784,1024,10".
Status save_model(const std::string& path, const Mlp& model, std::map<std::string, std::string> metadata = {});
Result<Mlp> load_model(const std::string& path);

}  // namespace ist
