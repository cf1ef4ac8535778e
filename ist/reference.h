// In-process reference trainers for IST, data parallel and local SGD. They run every worker's part one
// after the other in this process, calling exactly the functions the distributed actors call
// (make_partition, extract_slice, train_locally, merge_slices, the ring schedule), so a distributed run
// can be checked against them bit for bit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "ist/data.h"
#include "ist/mlp.h"
#include "ist/round_record.h"
#include "ist/training_config.h"

namespace ist {


// Trains config.algorithm with worker w on shards[w] and returns the final model and one record per round.
// A standardization still to be measured (config.standardize) is measured on the shards first, exactly as
// the distributed trainers measure theirs (ist/standardization.h).
// REQUIRES: shards.size() == config.workers. Errors: invalid_argument (config, or data that does not fit
// the widths: feature count or class count), with the offending value named.
Result<RunResult> run_reference(const TrainingConfig& config, const std::vector<Dataset>& shards,
                                const Dataset& test, const RoundCallback& on_round = {});

// Checks that data fits widths: inputs == feature count, every label < the output width (check_labels,
// naming the file and example), classes >= the data's class count.
Status check_data_fits(const std::vector<int>& widths, const Dataset& data, const char* what);

}  // namespace ist
