#include "cli/cluster_credentials.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "cli/cluster_state.h"
#include "cli/head_address.h"
#include "runtime/member_query.h"

namespace ist::cli {

std::string cluster_key_path() {
  return std::filesystem::path(cluster_state_path()).parent_path().string() + "/cluster.key";
}

Result<std::optional<rt::ClusterKey>> cluster_key_for(const CredentialArgs& args, bool started_insecure) {
  if (args.insecure) return std::optional<rt::ClusterKey>();
  if (!args.cluster_key.empty()) {
    auto key = rt::ClusterKey::from_text(args.cluster_key);
    if (!key.ok()) return key.status().with_context("--cluster-key");
    return std::optional<rt::ClusterKey>(std::move(key).value());
  }
  if (const char* env = std::getenv("IST_CLUSTER_KEY"); env != nullptr && *env != '\0') {
    auto key = rt::ClusterKey::from_text(env);
    if (!key.ok()) return key.status().with_context("IST_CLUSTER_KEY");
    return std::optional<rt::ClusterKey>(std::move(key).value());
  }
  auto key = rt::ClusterKey::read_file(cluster_key_path());
  if (key.ok()) return std::optional<rt::ClusterKey>(std::move(key).value());
  if (key.status().code() != ErrorCode::kNotFound) return key.status();
  if (started_insecure) return std::optional<rt::ClusterKey>();
  return Status::not_found(
      "no cluster key: give --cluster-key KEY (as printed by `ist start --head`) or set IST_CLUSTER_KEY; "
      "for a head started with --insecure, give --insecure");
}

Result<std::vector<rt::Member>> query_head(const std::string& address, std::chrono::milliseconds timeout,
                                           const std::optional<rt::ClusterKey>& key) {
  auto members = rt::query_members(with_scheme(address), rt::deadline_in(timeout), key ? &*key : nullptr);
  if (!members.ok() && members.status().code() == ErrorCode::kTimeout) {
    return Status::timeout(members.status().message() +
                           (key ? "; or its cluster key is not the one given (a head refuses other keys)"
                                : "; or it is secured (give its --cluster-key) while this command is --insecure"));
  }
  return members;
}

Result<TemporaryKeyFile> TemporaryKeyFile::create(const rt::ClusterKey& key) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ist-key-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return Status::io_error("cannot create a directory for the cluster key");
  TemporaryKeyFile file(pattern);  // mkdtemp makes it 0700
  IST_RETURN_IF_ERROR(key.write_file(file.path()));
  return file;
}

TemporaryKeyFile::~TemporaryKeyFile() {
  if (dir_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace ist::cli
