// The data a worker node was started with (`ist start --address HEAD --data PATH`). Trainers hosted in
// that node's process train on it when their spec asks for the workers' own data (placement "private"
// and no data.path: ist::workers_own_data), so the driver never needs to know where a worker's data is.
// One per process: a worker node process hosts the trainers of one node.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "ist/data_source.h"

namespace ist::actors {

struct HostedData {
  std::string node_name;           // for messages: which worker lacks data
  std::optional<DataSource> data;  // path (and format, when given); empty: started without --data
};

// The data source of `--data PATH`: the path made absolute (a node may run in another directory), the
// format told by its ending (.npz, .csv; anything else an IDX directory). Errors: not_found naming PATH;
// invalid_argument for .npy (its labels are a second file: use .npz) or an IDX path that is no directory.
Result<DataSource> hosted_data_source(const std::string& path);

// Records what this process's node was started with. Call once from main, before the node starts (and
// so before any trainer reads it).
void set_hosted_data(HostedData hosted);

// `wanted` (a trainer's data source, keys such as features_key and label_column included) with the
// node's own file in place of its empty path. Errors: invalid_argument naming the worker node when it
// was started without --data. Any thread, once set_hosted_data was called (or never: no data).
Result<DataSource> with_hosted_data(DataSource wanted);

}  // namespace ist::actors
