#include <gtest/gtest.h>

#include <filesystem>

#include "ist/model_io.h"

namespace ist {
namespace {

std::string temp_path(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("ist_model_io_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

TEST(ModelIo, SavedModelLoadsBackBitForBit) {
  Mlp model = make_mlp({7, 5, 4, 3}, 9).value();
  model.layers[1].bias.setLinSpaced(-1.0f, 1.0f);
  const std::string path = temp_path("m.safetensors");
  ASSERT_TRUE(save_model(path, model).ok());
  auto loaded = load_model(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ(parameter_hash(*loaded), parameter_hash(model));
  auto file = load_safetensors(path).value();
  EXPECT_EQ(file.metadata.at("widths"), "7,5,4,3");
}

TEST(ModelIo, RejectsAFileWhoseLayersDoNotChain) {
  Mlp model = make_mlp({7, 5, 3}, 9).value();
  TensorFile file = model_to_tensors(model);
  file.tensors[2].shape = {3, 4};  // layers.1.weight now takes 4 inputs instead of 5
  file.tensors[2].values.resize(12);
  auto loaded = model_from_tensors(file);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("layers.1.weight takes 4 inputs"), std::string::npos)
      << loaded.status().to_string();
}

TEST(ModelIo, RejectsAFileWithoutModelTensors) {
  TensorFile file;
  file.tensors.push_back({"something", {2}, {1.0f, 2.0f}});
  EXPECT_EQ(model_from_tensors(file).status().code(), ErrorCode::kCorruptData);
}

}  // namespace
}  // namespace ist
