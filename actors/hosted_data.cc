#include "actors/hosted_data.h"

#include <filesystem>
#include <utility>

namespace ist::actors {

namespace {
HostedData& hosted() {
  static HostedData value;
  return value;
}
}  // namespace

Result<DataSource> hosted_data_source(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path absolute = fs::absolute(path, ec);
  if (ec || !fs::exists(absolute, ec)) return Status::not_found("--data " + path + ": no such file or directory");
  DataSource source;
  source.path = absolute.string();
  IST_ASSIGN_OR_RETURN(const std::string format, data_format(source));
  if (format == "npy") {
    return Status::invalid_argument("--data " + path + ": .npy features need a second file for their labels; "
                                    "give one .npz (np.savez(path, x=features, y=labels)) or a .csv instead");
  }
  if (format == "idx" && !fs::is_directory(absolute, ec)) {
    return Status::invalid_argument("--data " + path + ": expected a .npz or .csv file or an IDX directory");
  }
  return source;
}

void set_hosted_data(HostedData data) { hosted() = std::move(data); }

Result<DataSource> with_hosted_data(DataSource wanted) {
  const HostedData& h = hosted();
  if (!h.data) {
    const std::string node = h.node_name.empty() ? "this worker node" : "worker node " + h.node_name;
    return Status::invalid_argument(
        node + " was started without --data, but data.placement = \"private\" with no data.path trains every "
               "worker on its own data: start it with `ist start --address HEAD --data PATH`, or give data.path");
  }
  wanted.path = h.data->path;
  wanted.format = h.data->format;  // the node's file's own format (empty: from its ending), not the test file's
  wanted.labels_path = h.data->labels_path;
  return wanted;
}

}  // namespace ist::actors
