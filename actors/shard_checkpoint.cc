#include "actors/shard_checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

#include "actors/checkpoint.h"
#include "actors/checkpoint_text.h"
#include "ist/checksum.h"
#include "ist/safetensors.h"

namespace ist::actors {

namespace fs = std::filesystem;

namespace {

constexpr const char* kChecksumKey = "checksum";

std::string hidden_weight(std::size_t l) { return "hidden." + std::to_string(l) + ".weight"; }
std::string hidden_bias(std::size_t l) { return "hidden." + std::to_string(l) + ".bias"; }
constexpr const char* kOutputColumns = "output.columns";
constexpr const char* kOutputBias = "output.bias";

std::vector<TensorView> shard_views(const ModelShard& shard) {
  std::vector<TensorView> views;
  for (std::size_t l = 0; l < shard.hidden.size(); ++l) {
    const Linear& layer = shard.hidden[l];
    views.push_back({hidden_weight(l),
                     {layer.weight.rows(), layer.weight.cols()},
                     {layer.weight.data(), static_cast<std::size_t>(layer.weight.size())}});
    views.push_back({hidden_bias(l), {layer.bias.size()}, {layer.bias.data(), static_cast<std::size_t>(layer.bias.size())}});
  }
  views.push_back({kOutputColumns,
                   {shard.output_columns.rows(), shard.output_columns.cols()},
                   {shard.output_columns.data(), static_cast<std::size_t>(shard.output_columns.size())}});
  if (shard.owner == 0) {
    views.push_back({kOutputBias, {shard.output_bias.size()}, {shard.output_bias.data(), static_cast<std::size_t>(shard.output_bias.size())}});
  }
  return views;
}

bool shard_is_finite(const ModelShard& shard) {
  for (const TensorView& v : shard_views(shard)) {
    if (!all_finite(v.values.data(), static_cast<Index>(v.values.size()))) return false;
  }
  return true;
}

// The tensor `name` of file with exactly `shape`; corrupt_data naming both otherwise.
Result<const NamedTensor*> tensor_of(const std::string& path, const std::map<std::string, const NamedTensor*>& by_name,
                                     const std::string& name, std::vector<std::int64_t> shape) {
  const auto it = by_name.find(name);
  if (it == by_name.end()) return Status::corrupt_data(path + ": the shard has no tensor '" + name + "'");
  if (it->second->shape != shape) return Status::corrupt_data(path + ": the shard's tensor '" + name + "' has the wrong shape");
  if (!all_finite(it->second->values.data(), static_cast<Index>(it->second->values.size()))) {
    return Status::corrupt_data(path + ": the shard's tensor '" + name + "' is not finite");
  }
  return it->second;
}

}  // namespace

std::string shard_directory(const std::string& manifest_path) {
  const fs::path parent = fs::path(manifest_path).parent_path();
  return ((parent.empty() ? fs::path(".") : parent) / "checkpoint-shards").string();
}

std::string shard_file_name(std::int64_t next_round, int owner, int owners) {
  return "r" + std::to_string(next_round) + "-shard" + std::to_string(owner) + "of" + std::to_string(owners) + ".safetensors";
}

Result<ShardFileRef> save_shard_file(const std::string& shard_dir, const ModelShard& shard, std::int64_t next_round,
                                     const std::string& tag) {
  if (!shard_is_finite(shard)) {
    return Status::diverged("shard " + std::to_string(shard.owner) + " holds NaN or inf: not checkpointed");
  }
  std::error_code ec;
  fs::create_directories(shard_dir, ec);
  if (ec) return Status::io_error("cannot create " + shard_dir + ": " + ec.message());
  const std::vector<TensorView> tensors = shard_views(shard);
  std::map<std::string, std::string> metadata{{"checkpoint", "ist-shard"},
                                              {"owner", std::to_string(shard.owner)},
                                              {"owners", std::to_string(shard.owners)},
                                              {"widths", widths_text(shard.widths)},
                                              {"next_round", std::to_string(next_round)},
                                              {"tag", tag}};
  ShardFileRef ref{shard.owner, shard_file_name(next_round, shard.owner, shard.owners),
                   checksum_text(tensor_file_crc32(tensors, metadata, kChecksumKey))};
  metadata[kChecksumKey] = ref.checksum;
  IST_RETURN_IF_ERROR(save_safetensors((fs::path(shard_dir) / ref.file).string(), tensors, metadata));
  return ref;
}

Status check_shard_files(const std::vector<ShardFileRef>& shards, std::int64_t next_round) {
  const int owners = static_cast<int>(shards.size());
  for (int o = 0; o < owners; ++o) {
    const ShardFileRef& ref = shards[static_cast<std::size_t>(o)];
    if (ref.owner != o || ref.file != shard_file_name(next_round, o, owners)) {
      return Status::corrupt_data("shard " + std::to_string(o) + " is '" + ref.file + "' of owner " +
                                  std::to_string(ref.owner) + ", expected '" + shard_file_name(next_round, o, owners) + "'");
    }
  }
  return Status::ok_status();
}

void remove_other_shard_files(const std::string& shard_dir, const std::vector<ShardFileRef>& kept) {
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (fs::directory_iterator it(shard_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    // Shard files, and the temporaries of writes that died before their rename (".safetensors.tmp-...").
    const bool shard_file = name.size() > 13 && name.front() == 'r' && name.find("-shard") != std::string::npos &&
                            (name.compare(name.size() - 12, 12, ".safetensors") == 0 ||
                             name.find(".safetensors.tmp-") != std::string::npos);
    const bool is_kept = std::any_of(kept.begin(), kept.end(), [&](const ShardFileRef& k) { return k.file == name; });
    if (shard_file && !is_kept) doomed.push_back(it->path());
  }
  for (const fs::path& path : doomed) fs::remove(path, ec);  // a file left behind costs disk, not correctness
}

Result<ModelShard> load_shard_file(const std::string& path, const ShardExpectation& expected) {
  IST_ASSIGN_OR_RETURN(TensorFile file, load_safetensors(path));
  const auto& m = file.metadata;
  if (m.count("checkpoint") == 0 || m.at("checkpoint") != "ist-shard") {
    return Status::corrupt_data(path + ": not a shard of a partitioned checkpoint");
  }
  const auto stored = m.find(kChecksumKey);
  if (stored == m.end()) return Status::corrupt_data(path + ": the shard carries no checksum");
  const std::string computed = checksum_text(tensor_file_crc32(file, kChecksumKey));
  if (stored->second != computed) {
    return Status::corrupt_data(path + ": checksum mismatch (stored " + stored->second + ", contents give " + computed +
                                "): the file is damaged");
  }
  if (stored->second != expected.checksum) {
    return Status::corrupt_data(path + ": its checksum " + stored->second + " is not the manifest's " + expected.checksum +
                                ": the file belongs to another checkpoint");
  }
  const auto int64 = [](const std::string& s) { return whole_integer<std::int64_t>(s); };
  const auto int32 = [](const std::string& s) { return whole_integer<int>(s); };
  IST_ASSIGN_OR_RETURN(const int owner, metadata_field(path, m, "owner", int32));
  IST_ASSIGN_OR_RETURN(const int owners, metadata_field(path, m, "owners", int32));
  IST_ASSIGN_OR_RETURN(const std::vector<int> widths, metadata_field(path, m, "widths", parse_widths_text));
  IST_ASSIGN_OR_RETURN(const std::int64_t next_round, metadata_field(path, m, "next_round", int64));
  if (owner != expected.owner || owners != expected.owners || widths != expected.widths ||
      next_round != expected.next_round || m.count("tag") == 0 || m.at("tag") != expected.tag) {
    return Status::corrupt_data(path + ": shard " + std::to_string(owner) + " of " + std::to_string(owners) +
                                " after round " + std::to_string(next_round) + " is not the one the manifest names");
  }
  std::map<std::string, const NamedTensor*> by_name;
  for (const NamedTensor& t : file.tensors) by_name[t.name] = &t;
  ModelShard shard;
  shard.owner = owner;
  shard.owners = owners;
  shard.widths = widths;
  const std::size_t hidden = widths.size() - 2;
  if (hidden < 1 || owners < 1 || owner < 0 || owner >= owners) {
    return Status::corrupt_data(path + ": shard " + std::to_string(owner) + " of " + std::to_string(owners));
  }
  for (std::size_t l = 0; l < hidden; ++l) {
    const OwnedRange r = owned_range(widths[l + 1], owner, owners);
    IST_ASSIGN_OR_RETURN(const NamedTensor* w, tensor_of(path, by_name, hidden_weight(l), {r.size(), widths[l]}));
    IST_ASSIGN_OR_RETURN(const NamedTensor* b, tensor_of(path, by_name, hidden_bias(l), {r.size()}));
    Linear layer;
    layer.weight = Eigen::Map<const Matrix>(w->values.data(), r.size(), widths[l]);
    layer.bias = Eigen::Map<const Vector>(b->values.data(), r.size());
    shard.hidden.push_back(std::move(layer));
  }
  const OwnedRange top = owned_range(widths[hidden], owner, owners);
  const std::int64_t classes = widths.back();
  IST_ASSIGN_OR_RETURN(const NamedTensor* columns, tensor_of(path, by_name, kOutputColumns, {classes, top.size()}));
  shard.output_columns = Eigen::Map<const Matrix>(columns->values.data(), classes, top.size());
  if (owner == 0) {
    IST_ASSIGN_OR_RETURN(const NamedTensor* bias, tensor_of(path, by_name, kOutputBias, {classes}));
    shard.output_bias = Eigen::Map<const Vector>(bias->values.data(), classes);
  }
  if (by_name.size() != 2 * hidden + 1 + (owner == 0 ? 1 : 0)) {
    return Status::corrupt_data(path + ": the shard holds tensors beyond its own");
  }
  return shard;
}

ShardExpectation shard_expectation(const DriverCheckpoint& manifest, int owner) {
  const ShardFileRef& ref = manifest.shards[static_cast<std::size_t>(owner)];
  return ShardExpectation{owner, static_cast<int>(manifest.shards.size()), manifest.widths, manifest.next_round,
                          manifest.tag, ref.checksum};
}

Result<Mlp> assemble_checkpoint_model(const DriverCheckpoint& manifest) {
  if (manifest.shards.empty()) return Status::invalid_argument("the checkpoint names no shard files");
  // The manifest's widths decide what is allocated: they must be what the shard files hold, before a
  // crafted manifest can ask for any amount of memory.
  const std::vector<int>& widths = manifest.widths;
  std::int64_t floats = 0;
  for (std::size_t l = 0; l + 1 < widths.size(); ++l) {
    if (widths[l] > (1 << 24) || widths[l + 1] > (1 << 24)) return Status::corrupt_data("the checkpoint's widths are out of range");
    floats += static_cast<std::int64_t>(widths[l + 1]) * (widths[l] + 1);
  }
  std::int64_t bytes = 0;
  for (const ShardFileRef& ref : manifest.shards) {
    std::error_code ec;
    const auto size = fs::file_size(fs::path(manifest.shard_dir) / ref.file, ec);
    if (ec) return Status::not_found(manifest.shard_dir + "/" + ref.file + ": " + ec.message());
    bytes += static_cast<std::int64_t>(size);
  }
  if (bytes < 4 * floats) {
    return Status::corrupt_data("the checkpoint's shard files hold " + std::to_string(bytes) + " bytes, too few for a model of " +
                                std::to_string(floats) + " parameters: the manifest's widths are not theirs");
  }
  Mlp model = unfilled_model(widths);
  const std::string& dir = manifest.shard_dir;
  for (std::size_t o = 0; o < manifest.shards.size(); ++o) {
    const std::string which = "shard " + std::to_string(o) + " of the checkpoint";
    Result<ModelShard> shard = load_shard_file((fs::path(dir) / manifest.shards[o].file).string(),
                                               shard_expectation(manifest, static_cast<int>(o)));
    if (!shard.ok()) return shard.status().with_context(which);
    IST_RETURN_IF_ERROR(place_shard(*shard, model).with_context(which));
  }
  return model;
}

}  // namespace ist::actors
