// `ist export` and `ist report`: results out of a run directory.
#include <cstdio>
#include <filesystem>

#include "actors/checkpoint.h"
#include "cli/commands.h"
#include "cli/driver_config.h"
#include "cli/program.h"
#include "cli/report.h"
#include "ist/model_io.h"
#include "ist/standalone_model.h"

namespace ist::cli {

namespace {

// A checkpoint as a standalone model: the run's standardization (from the config.toml beside it) folded
// in, and the metadata a run's own model file has, with the round it was taken after.
Result<TensorFile> standalone_from_checkpoint(const std::string& checkpoint_path) {
  const std::string dir = std::filesystem::path(checkpoint_path).parent_path().string();
  const std::string config_path = (dir.empty() ? std::string(".") : dir) + "/config.toml";
  IST_ASSIGN_OR_RETURN(actors::DriverCheckpoint checkpoint, actors::load_checkpoint(checkpoint_path));
  if (!checkpoint.shards.empty()) {
    // Partitioned ownership: one safetensors file assembled from the owners' shard files.
    IST_ASSIGN_OR_RETURN(checkpoint.model, actors::assemble_checkpoint_model(checkpoint));
  }
  auto config = load_driver_config(config_path);
  if (!config.ok()) return config.status().with_context("reading the run's config beside the checkpoint");
  const TrainingConfig& training = config->driver.training;
  if (training.standardize != Standardize::kGiven) {
    return Status::invalid_argument(config_path + " does not record the run's measured standardization");
  }
  const ModelCard card{training.input_mean, training.input_std,      config->name, std::nullopt,
                       algorithm_name(training.algorithm), !training.feature_mean.empty(), config->class_names};
  std::map<std::string, std::string> metadata = standalone_metadata(checkpoint.model, card);
  metadata["checkpoint_after_round"] = std::to_string(checkpoint.next_round);
  return model_to_tensors(fold_input_standardization(checkpoint.model, training), std::move(metadata));
}

}  // namespace

int command_export(const std::string& source, const std::string& output) {
  const std::string suffix = ".safetensors";
  if (output.size() <= suffix.size() || output.compare(output.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return fail("cannot export to " + output + ": the output is a safetensors file, name it *.safetensors");
  }
  // A run directory's model file already stands alone (see ist/standalone_model.h); a checkpoint is made so.
  const bool checkpoint = std::filesystem::is_regular_file(source);
  auto file = checkpoint ? standalone_from_checkpoint(source) : load_safetensors(source + "/model.safetensors");
  if (!file.ok()) return fail("cannot export " + source + ": " + file.status().to_string());
  auto model = model_from_tensors(*file);
  if (!model.ok()) return fail("cannot export " + source + ": " + model.status().to_string());
  std::map<std::string, std::string> metadata = file->metadata;
  metadata["exported_from"] = source;
  if (Status s = save_model(output, *model, std::move(metadata)); !s.ok()) return fail(s.to_string());
  std::printf("wrote %s (%lld parameters)\n", output.c_str(), static_cast<long long>(model->parameter_count()));
  return 0;
}

int command_report(const std::vector<std::string>& run_dirs, const std::string& output, const std::string& x_axis) {
  auto axis = parse_report_axis(x_axis);
  if (!axis.ok()) return fail(axis.status().to_string(), kExitUsage);
  auto outcome = write_report(run_dirs, output, ReportOptions{*axis});
  if (!outcome.ok()) return fail(outcome.status().to_string());
  for (const std::string& note : outcome->skipped) std::printf("%s\n", note.c_str());
  std::printf("wrote %s comparing %zu run(s)\n", output.c_str(), outcome->runs);
  return 0;
}

}  // namespace ist::cli
