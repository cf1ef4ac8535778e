// `ist export` and `ist report`: results out of a run directory.
#include <cstdio>

#include "cli/commands.h"
#include "cli/program.h"
#include "cli/report.h"
#include "ist/model_io.h"

namespace ist::cli {

int command_export(const std::string& run_dir, const std::string& output) {
  const std::string suffix = ".safetensors";
  if (output.size() <= suffix.size() || output.compare(output.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return fail("cannot export to " + output + ": the output is a safetensors file, name it *.safetensors");
  }
  // The run's model file already stands alone (see ist/standalone_model.h); its metadata goes along.
  auto file = load_safetensors(run_dir + "/model.safetensors");
  if (!file.ok()) return fail("cannot export " + run_dir + ": " + file.status().to_string());
  auto model = model_from_tensors(*file);
  if (!model.ok()) return fail("cannot export " + run_dir + ": " + model.status().to_string());
  std::map<std::string, std::string> metadata = file->metadata;
  metadata["exported_from"] = run_dir;
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
