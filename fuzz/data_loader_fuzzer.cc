// libFuzzer target: arbitrary bytes as the data files every loader reads: IDX images + labels (plain or
// gzip), CSV (with and without a header, sharded), .npy features + labels, .npz archives (stored or
// compressed members), and as the features of a prediction input. Must never crash, leak or hang: a bad
// file is an error naming it.
// Input: a selector byte, then up to two files separated by "\xF0\x0D".
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "ist/data.h"
#include "ist/data_source.h"
#include "ist/npy_data.h"

using namespace ist;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t selector = data[0];
  const std::vector<std::string> parts = fuzz::split_parts(data + 1, size - 1, 2);
  const std::string first = fuzz::scratch_file("first", parts[0]);
  const std::string second = fuzz::scratch_file("second", parts.size() > 1 ? parts[1] : std::string());
  // A shard of two (seeded iid or label-skewed) on odd selectors: the shard paths of the readers.
  std::optional<ShardSpec> shard;
  if (selector & 8) shard = ShardSpec{1, 2, (selector & 16) ? ShardPolicy::kLabelSkew : ShardPolicy::kIid, 7, {}};
  switch (selector % 8) {
    case 0:
      (void)load_idx_files(first, second, shard);
      break;
    case 1: {
      CsvOptions options;
      options.has_header = (selector & 32) != 0;
      options.label_column = (selector >> 6) % 3;
      (void)load_csv_dataset(first, options, shard);
      break;
    }
    case 2:
      (void)load_npy_dataset(first, second, shard);
      break;
    case 3:
      (void)load_npz_dataset(first, "x", "y", shard);
      break;
    case 4:
      (void)load_npy_features(first, (selector & 32) ? second : std::string());
      break;
    case 5:
      (void)load_npz_features(first, "x", "y");
      break;
    default: {
      DataSource source;
      source.path = first;
      source.format = "csv";
      source.holdout = (selector & 32) ? 0.25 : 0.0;
      (void)load_features(source, Split::kTrain, 4);
      (void)load_dataset(source, Split::kTrain, shard);
      break;
    }
  }
  return 0;
}
