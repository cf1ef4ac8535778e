#include "ist/model_io.h"

#include <string>

namespace ist {

namespace {
std::string weight_name(std::size_t l) { return "layers." + std::to_string(l) + ".weight"; }
std::string bias_name(std::size_t l) { return "layers." + std::to_string(l) + ".bias"; }

std::string widths_text(const Mlp& model) {
  std::string text;
  for (int w : model.widths()) text += (text.empty() ? "" : ",") + std::to_string(w);
  return text;
}
}  // namespace

std::map<std::string, std::string> model_file_metadata(const Mlp& model, std::map<std::string, std::string> metadata) {
  metadata["format"] = "ist-mlp";
  metadata["widths"] = widths_text(model);
  return metadata;
}

std::vector<TensorView> model_tensor_views(const Mlp& model) {
  std::vector<TensorView> views;
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const Linear& layer = model.layers[l];
    views.push_back({weight_name(l),
                     {layer.weight.rows(), layer.weight.cols()},
                     {layer.weight.data(), static_cast<std::size_t>(layer.weight.size())}});
    views.push_back({bias_name(l), {layer.bias.size()}, {layer.bias.data(), static_cast<std::size_t>(layer.bias.size())}});
  }
  return views;
}

TensorFile model_to_tensors(const Mlp& model, std::map<std::string, std::string> metadata) {
  TensorFile file;
  file.metadata = model_file_metadata(model, std::move(metadata));
  for (std::size_t l = 0; l < model.layers.size(); ++l) {
    const Linear& layer = model.layers[l];
    file.tensors.push_back({weight_name(l),
                            {layer.weight.rows(), layer.weight.cols()},
                            std::vector<float>(layer.weight.data(), layer.weight.data() + layer.weight.size())});
    file.tensors.push_back(
        {bias_name(l), {layer.bias.size()}, std::vector<float>(layer.bias.data(), layer.bias.data() + layer.bias.size())});
  }
  return file;
}

Result<Mlp> model_from_tensors(const TensorFile& file) {
  std::map<std::string, const NamedTensor*> by_name;
  for (const NamedTensor& t : file.tensors) by_name[t.name] = &t;
  Mlp model;
  for (std::size_t l = 0;; ++l) {
    auto w = by_name.find(weight_name(l));
    if (w == by_name.end()) break;
    auto b = by_name.find(bias_name(l));
    if (b == by_name.end()) return Status::corrupt_data("missing tensor " + bias_name(l));
    const NamedTensor& wt = *w->second;
    const NamedTensor& bt = *b->second;
    if (wt.shape.size() != 2 || bt.shape.size() != 1 || bt.shape[0] != wt.shape[0]) {
      return Status::corrupt_data("tensors of layer " + std::to_string(l) +
                                  " must be weight (out x in) and bias (out)");
    }
    if (!model.layers.empty() && model.layers.back().outputs() != wt.shape[1]) {
      return Status::corrupt_data(weight_name(l) + " takes " + std::to_string(wt.shape[1]) +
                                  " inputs but the previous layer has " +
                                  std::to_string(model.layers.back().outputs()) + " outputs");
    }
    Linear layer;
    layer.weight = Eigen::Map<const Matrix>(wt.values.data(), wt.shape[0], wt.shape[1]);
    layer.bias = Eigen::Map<const Vector>(bt.values.data(), bt.shape[0]);
    model.layers.push_back(std::move(layer));
  }
  if (model.layers.empty()) return Status::corrupt_data("no tensor named " + weight_name(0) + ": not an ist model");
  if (by_name.size() != 2 * model.layers.size()) {
    return Status::corrupt_data("unexpected tensors beyond layer " + std::to_string(model.layers.size() - 1));
  }
  return model;
}

Status save_model(const std::string& path, const Mlp& model, std::map<std::string, std::string> metadata) {
  return save_safetensors(path, model_tensor_views(model), model_file_metadata(model, std::move(metadata)));
}

Result<Mlp> load_model(const std::string& path) {
  IST_ASSIGN_OR_RETURN(TensorFile file, load_safetensors(path));
  auto model = model_from_tensors(file);
  if (!model.ok()) return model.status().with_context(path);
  return model;
}

}  // namespace ist
