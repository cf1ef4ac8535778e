// Data sets as arrays leave Python: NumPy's .npy (np.save) and .npz (np.savez, np.savez_compressed).
// Features: a 2-D array (examples x features) of float32, float64 or uint8 (uint8 is scaled to [0, 1],
// like IDX pixels), C order, little-endian. Labels: a 1-D integer array (any signed or unsigned width),
// one label per example, in [0, 2^31). Files are memory-mapped; stored .npz members are read in place;
// compressed features are inflated row by row as they are converted (never held whole), labels whole. num_classes = the largest label + 1, over the whole file (so every
// shard agrees). With a shard spec only that shard's rows are converted.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "ist/data.h"

namespace ist {

// Errors name the file (and the member, row or column): not_found, invalid_argument (not a regular
// file), corrupt_data (bad magic or header, a truncated array, a dtype the reader does not take, a
// features array that is not 2-D or labels that are not 1-D, counts that disagree, a NaN or infinite
// feature, a negative or too large label).
Result<Dataset> load_npy_dataset(const std::string& features_path, const std::string& labels_path,
                                 const std::optional<ShardSpec>& shard = std::nullopt);

// The arrays named features_key and labels_key (np.savez(path, x=..., y=...) stores them as x.npy, y.npy).
Result<Dataset> load_npz_dataset(const std::string& path, const std::string& features_key = "x",
                                 const std::string& labels_key = "y",
                                 const std::optional<ShardSpec>& shard = std::nullopt);

// Features, with labels when there are any (for predictions): labels_path empty, or an archive without a
// labels_key array, gives a set without labels (labels empty, num_classes 0). Errors as above.
Result<Dataset> load_npy_features(const std::string& features_path, const std::string& labels_path);
Result<Dataset> load_npz_features(const std::string& path, const std::string& features_key, const std::string& labels_key);

}  // namespace ist
