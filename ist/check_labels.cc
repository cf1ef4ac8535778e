// check_labels: a label outside the model's outputs would index past the logits in
// softmax_cross_entropy (memory corruption, not an error), so data is checked against the model first.
#include <string>

#include "ist/data.h"

namespace ist {

Status check_labels(const Dataset& data, int classes) {
  for (std::size_t i = 0; i < data.labels.size(); ++i) {
    const std::int32_t label = data.labels[i];
    if (label >= 0 && label < classes) continue;
    const std::string where = data.origin.empty() ? std::string() : data.origin + ": ";
    return Status::invalid_argument(
        where + "example " + std::to_string(data.example_index(static_cast<Index>(i))) + " has label " +
        std::to_string(label) + ", but the model has " + std::to_string(classes) + " outputs (labels 0 to " +
        std::to_string(classes - 1) + ")");
  }
  return Status::ok_status();
}

}  // namespace ist
