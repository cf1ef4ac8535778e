// A model as a safetensors file: tensors "layers.<l>.weight" (out x in) and "layers.<l>.bias" (out),
// float32, so PyTorch (`safetensors.torch.load_file`) and other tools can read a trained model.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "ist/mlp.h"
#include "ist/safetensors.h"

namespace ist {

TensorFile model_to_tensors(const Mlp& model, std::map<std::string, std::string> metadata = {});
// The same tensors as views into the model's own memory (valid while the model lives and is not resized).
std::vector<TensorView> model_tensor_views(const Mlp& model);
// metadata plus what a model file says of itself: "format": "ist-mlp" and "widths".
std::map<std::string, std::string> model_file_metadata(const Mlp& model, std::map<std::string, std::string> metadata);

// Errors: corrupt_data naming the missing or mis-shaped tensor (layers must be consecutive from 0 and
// chain: each layer's inputs equal the previous layer's outputs).
Result<Mlp> model_from_tensors(const TensorFile& file);

// Atomic write (see save_safetensors), straight from the model's memory (no copy of it is made).
// Metadata gets "format": "ist-mlp" and "widths": "784,1024,10".
Status save_model(const std::string& path, const Mlp& model, std::map<std::string, std::string> metadata = {});
Result<Mlp> load_model(const std::string& path);

}  // namespace ist
