// `ist export` and `ist report`: results out of a run directory.
#include <cstdio>

#include "cli/commands.h"
#include "cli/program.h"
#include "cli/report.h"
#include "ist/model_io.h"

namespace ist::cli {

int command_export(const std::string& run_dir, const std::string& output) {
  auto model = load_model(run_dir + "/model.safetensors");
  if (!model.ok()) return fail("cannot export " + run_dir + ": " + model.status().to_string());
  if (Status s = save_model(output, *model, {{"exported_from", run_dir}}); !s.ok()) return fail(s.to_string());
  std::printf("wrote %s (%lld parameters)\n", output.c_str(), static_cast<long long>(model->parameter_count()));
  return 0;
}

int command_report(const std::vector<std::string>& run_dirs, const std::string& output) {
  if (Status s = write_report(run_dirs, output); !s.ok()) return fail(s.to_string());
  std::printf("wrote %s comparing %zu run(s)\n", output.c_str(), run_dirs.size());
  return 0;
}

}  // namespace ist::cli
