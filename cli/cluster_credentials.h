// How `ist` commands get the cluster's credential (runtime/cluster_key.h). `ist start --head` makes a fresh
// key and keeps it beside the cluster state, in cluster.key (mode 0600); other hosts are given it as a
// token in the join command it prints (`--cluster-key KEY`, or the IST_CLUSTER_KEY environment variable,
// which keeps it out of the process list); `ist start --address` stores the token it was given in its own
// state directory, so later commands on that host find it. `--insecure` (a trusted lab network only)
// turns encryption and authentication off; every node of a cluster must agree on it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "runtime/cluster_key.h"
#include "runtime/handle.h"

namespace ist::cli {

struct CredentialArgs {
  std::string cluster_key;  // --cluster-key: the token; empty: IST_CLUSTER_KEY, then the state directory
  bool insecure = false;    // --insecure: no CURVE
};

// The key file beside the cluster state: $IST_STATE_DIR/cluster.key.
std::string cluster_key_path();

// The key a command that talks to a running cluster uses: none with --insecure (or when this host's
// cluster was started --insecure and nothing else is given), else the token, IST_CLUSTER_KEY, or this
// host's key file, in that order. Errors: kInvalidArgument for a malformed token, kNotFound with what to
// give when there is no key at all, the key file's own errors.
Result<std::optional<rt::ClusterKey>> cluster_key_for(const CredentialArgs& args, bool started_insecure);

// The head's alive members, read without joining (no membership event; nothing to bind, so it works from
// behind NAT too). With a key, a secured head's handshake admits us; a wrong key (or none, to a secured
// head) is refused there and the query only times out: the error says that may be why.
Result<std::vector<rt::Member>> query_head(const std::string& address, std::chrono::milliseconds timeout,
                                           const std::optional<rt::ClusterKey>& key);

// A fresh key in a file of its own, for an embedded cluster's worker processes (`--key-file`); the file
// and its private directory are removed with this object.
class TemporaryKeyFile {
 public:
  static Result<TemporaryKeyFile> create(const rt::ClusterKey& key);
  TemporaryKeyFile(TemporaryKeyFile&& other) noexcept : dir_(std::move(other.dir_)) { other.dir_.clear(); }
  TemporaryKeyFile& operator=(TemporaryKeyFile&&) = delete;
  ~TemporaryKeyFile();
  std::string path() const { return dir_ + "/cluster.key"; }

 private:
  explicit TemporaryKeyFile(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace ist::cli
