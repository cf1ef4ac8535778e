// Views of a model's parameters (or gradients) as one flat float vector, in layer order: weight then bias
// of layer 0, then layer 1, ... The ring all-reduce of the baselines works on these vectors.
#pragma once

#include <vector>

#include "ist/mlp.h"

namespace ist {

std::vector<float> flatten_parameters(const Mlp& model);
// The same into `flat` (resized; its storage is reused, so a buffer kept across rounds is allocated once).
void flatten_parameters(const Mlp& model, std::vector<float>& flat);
// REQUIRES: flat.size() == model.parameter_count().
void unflatten_parameters(const std::vector<float>& flat, Mlp& model);

// Writes the gradients into `flat` (resized; its storage is reused, so a buffer kept across steps is
// allocated once).
void flatten_gradients(const Gradients& grads, std::vector<float>& flat);
// REQUIRES: grads already has the model's shapes and flat.size() matches.
void unflatten_gradients(const std::vector<float>& flat, Gradients& grads);

// values *= 1/count, the one way every algorithm turns a ring sum into a mean.
void scale_to_mean(std::vector<float>& values, int count);

}  // namespace ist
