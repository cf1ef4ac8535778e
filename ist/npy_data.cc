// .npy: magic "\x93NUMPY", version (1, 2 or 3), a little-endian header length (2 bytes in version 1, 4
// after), a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, D), } padded with
// spaces, then the raw array. .npz: a zip archive of .npy members, stored or deflated, with zip64 fields
// (numpy writes them). One job, reading these two formats; it is long because each header and zip field
// is checked with an error naming it.
#include "ist/npy_data.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "ist/mapped_file.h"

namespace ist {
namespace {

struct NpyArray {
  std::string where;  // "file" or "file:member", for messages
  const MappedFile* mapping = nullptr;  // when the array lies in a mapped file (not an inflated copy)
  char kind = 0;      // 'f', 'i', 'u'
  int item_size = 0;
  std::vector<std::int64_t> shape;
  const unsigned char* data = nullptr;
};

Status corrupt(const std::string& where, const std::string& what) { return Status::corrupt_data(where + ": " + what); }

std::uint32_t le32(const unsigned char* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
std::uint16_t le16(const unsigned char* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }
std::uint64_t le64(const unsigned char* p) { return le32(p) | static_cast<std::uint64_t>(le32(p + 4)) << 32; }

// The value of 'key': in the header dict, as written by numpy (quotes and spacing as numpy writes them).
std::optional<std::string_view> dict_value(std::string_view header, std::string_view key) {
  const std::string quoted = "'" + std::string(key) + "':";
  const std::size_t at = header.find(quoted);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = header.substr(at + quoted.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (rest.empty()) return std::nullopt;
  const char open = rest.front();
  const char close = open == '\'' ? '\'' : open == '(' ? ')' : ',';
  const std::size_t end = rest.find(close, open == '\'' || open == '(' ? 1 : 0);
  if (end == std::string_view::npos) return std::nullopt;
  return open == '\'' || open == '(' ? rest.substr(1, end - 1) : rest.substr(0, end);
}

// bytes: the .npy file, or at least its header (whole_size: the file's size when only the header is at
// hand, as for a compressed member inflated as it is read; 0: size). array.data is valid only when the
// whole file is in bytes.
Result<NpyArray> parse_npy(const unsigned char* bytes, std::size_t size, const std::string& where,
                           std::uint64_t whole_size = 0) {
  static const unsigned char kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (size < 10 || std::memcmp(bytes, kMagic, sizeof kMagic) != 0) return corrupt(where, "not a .npy array (bad magic)");
  const int major = bytes[6];
  if (major < 1 || major > 3) return corrupt(where, ".npy version " + std::to_string(major) + " is not supported");
  const std::size_t prefix = major == 1 ? 10 : 12;
  if (size < prefix) return corrupt(where, "truncated .npy header");
  const std::size_t header_length = major == 1 ? le16(bytes + 8) : le32(bytes + 8);
  if (header_length > size - prefix) return corrupt(where, "truncated .npy header");
  const std::string_view header(reinterpret_cast<const char*>(bytes + prefix), header_length);
  NpyArray array;
  array.where = where;
  const auto descr = dict_value(header, "descr");
  const auto fortran = dict_value(header, "fortran_order");
  const auto shape = dict_value(header, "shape");
  if (!descr || !fortran || !shape) return corrupt(where, "the .npy header lacks descr, fortran_order or shape");
  if (*fortran != "False") return corrupt(where, "the array is in Fortran order; save it with np.ascontiguousarray");
  if (descr->size() < 3 || (descr->front() != '<' && descr->front() != '|')) {
    return corrupt(where, "dtype '" + std::string(*descr) + "' is not little-endian; save it with .astype('<f4') or '<i8'");
  }
  array.kind = (*descr)[1];
  try {
    array.item_size = std::stoi(std::string(descr->substr(2)));
  } catch (...) {
    return corrupt(where, "dtype '" + std::string(*descr) + "' is not a number type");
  }
  std::uint64_t count = 1;
  std::string_view dims = *shape;
  while (!dims.empty()) {
    while (!dims.empty() && (dims.front() == ' ' || dims.front() == ',')) dims.remove_prefix(1);
    if (dims.empty()) break;
    std::size_t digits = 0;
    while (digits < dims.size() && dims[digits] >= '0' && dims[digits] <= '9') ++digits;
    if (digits == 0 || digits > 15) return corrupt(where, "bad shape (" + std::string(*shape) + ")");
    const std::int64_t dim = std::stoll(std::string(dims.substr(0, digits)));
    array.shape.push_back(dim);
    if (dim != 0 && count > (std::uint64_t{1} << 50) / static_cast<std::uint64_t>(dim)) return corrupt(where, "shape too large");
    count *= static_cast<std::uint64_t>(dim);
    dims.remove_prefix(digits);
  }
  const std::uint64_t expected = count * static_cast<std::uint64_t>(array.item_size);
  const std::uint64_t available = (whole_size != 0 ? whole_size : size) - prefix - header_length;
  if (available < expected) {
    return corrupt(where, "truncated: the array needs " + std::to_string(expected) + " bytes, the file holds " +
                              std::to_string(available));
  }
  array.data = bytes + prefix + header_length;
  return array;
}

std::string dtype_name(const NpyArray& a) { return std::string(1, a.kind) + std::to_string(a.item_size); }

// Feature `column` of a row's bytes as float. REQUIRES: a float32/float64/uint8 2-D array.
float feature_in_row(const NpyArray& a, const unsigned char* row, std::int64_t column) {
  if (a.kind == 'u') return static_cast<float>(row[column]) * (1.0f / 255.0f);
  if (a.item_size == 4) {
    float v;
    std::memcpy(&v, row + 4 * column, 4);
    return v;
  }
  double v;
  std::memcpy(&v, row + 8 * column, 8);
  return static_cast<float>(v);
}

// Inflates a deflated zip member front to back, a chunk at a time, so it is never held whole (inflating
// in chunks, not rows, keeps zlib's calls and window copies few). Owns its zlib stream; one thread.
class MemberInflater {
 public:
  MemberInflater(const unsigned char* compressed, std::size_t size, std::string where)
      : where_(std::move(where)), chunk_(std::size_t{1} << 18) {
    started_ = inflateInit2(&z_, -MAX_WBITS) == Z_OK;
    z_.next_in = const_cast<unsigned char*>(compressed);
    z_.avail_in = static_cast<uInt>(size);  // REQUIRES: size < 4 GiB (find_zip_member checks)
  }
  ~MemberInflater() {
    if (started_) inflateEnd(&z_);
  }
  MemberInflater(const MemberInflater&) = delete;
  MemberInflater& operator=(const MemberInflater&) = delete;

  // The next n inflated bytes into out (or, out null, dropped). Errors: corrupt_data naming the member
  // when its data is bad or ends first.
  Status read(unsigned char* out, std::size_t n) {
    while (n > 0) {
      if (position_ == filled_) IST_RETURN_IF_ERROR(refill());
      const std::size_t piece = std::min(n, filled_ - position_);
      if (out != nullptr) {
        std::memcpy(out, chunk_.data() + position_, piece);
        out += piece;
      }
      position_ += piece;
      n -= piece;
    }
    return Status::ok_status();
  }
  Status skip(std::size_t n) { return read(nullptr, n); }

 private:
  Status refill() {
    if (!started_) return Status::io_error(where_ + ": zlib failed to start");
    if (ended_) return corrupt(where_, "truncated compressed data");
    z_.next_out = chunk_.data();
    z_.avail_out = static_cast<uInt>(chunk_.size());
    const int r = inflate(&z_, Z_NO_FLUSH);
    if (r != Z_OK && r != Z_STREAM_END) return corrupt(where_, "bad compressed data");  // Z_BUF_ERROR: cut short
    ended_ = r == Z_STREAM_END;
    position_ = 0;
    filled_ = chunk_.size() - z_.avail_out;
    return Status::ok_status();
  }

  z_stream z_{};
  bool started_ = false;
  bool ended_ = false;
  std::string where_;
  std::vector<unsigned char> chunk_;
  std::size_t position_ = 0, filled_ = 0;
};

// The rows of a features array, handed out in ascending order: in place (mapped, or stored in an
// archive), or inflated as they are reached from a compressed member (one row held at a time).
class FeatureRows {
 public:
  FeatureRows(const NpyArray& array, MemberInflater* streamed)
      : array_(array), streamed_(streamed), row_bytes_(static_cast<std::size_t>(array.shape[1] * array.item_size)) {
    if (streamed_ != nullptr) buffer_.resize(row_bytes_);
  }
  // The bytes of `row`. REQUIRES: rows asked for in ascending order.
  Result<const unsigned char*> row(std::int64_t row) {
    if (streamed_ == nullptr) return array_.data + static_cast<std::size_t>(row) * row_bytes_;
    IST_RETURN_IF_ERROR(streamed_->skip(static_cast<std::size_t>(row - next_) * row_bytes_));
    IST_RETURN_IF_ERROR(streamed_->read(buffer_.data(), row_bytes_));
    next_ = row + 1;
    return static_cast<const unsigned char*>(buffer_.data());
  }

 private:
  const NpyArray& array_;
  MemberInflater* streamed_;
  std::size_t row_bytes_;
  std::int64_t next_ = 0;
  std::vector<unsigned char> buffer_;
};

Result<std::int64_t> label_at(const NpyArray& a, std::int64_t i) {
  const unsigned char* p = a.data + static_cast<std::int64_t>(a.item_size) * i;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max());
  if (a.kind == 'u') {
    std::uint64_t u = 0;
    std::memcpy(&u, p, static_cast<std::size_t>(a.item_size));  // the host is little-endian, like the file
    if (u > kMax) return corrupt(a.where, "label " + std::to_string(i) + " is " + std::to_string(u) + ", too large for a class index");
    return static_cast<std::int64_t>(u);
  }
  std::int64_t v = 0;
  switch (a.item_size) {
    case 1: { std::int8_t x; std::memcpy(&x, p, 1); v = x; break; }
    case 2: { std::int16_t x; std::memcpy(&x, p, 2); v = x; break; }
    case 4: { std::int32_t x; std::memcpy(&x, p, 4); v = x; break; }
    default: { std::int64_t x; std::memcpy(&x, p, 8); v = x; break; }
  }
  if (v < 0 || static_cast<std::uint64_t>(v) > kMax) {
    return corrupt(a.where, "label " + std::to_string(i) + " is " + std::to_string(v) + ": labels are class indices 0, 1, 2, ...");
  }
  return v;
}

// labels null: a features-only set (no labels, num_classes 0; no shard). streamed: the features' bytes
// come from this inflater (positioned just past the array's header), not from features.data.
Result<Dataset> dataset_from(const NpyArray& features, const NpyArray* labels_or_null, const std::optional<ShardSpec>& shard,
                             MemberInflater* streamed = nullptr) {
  NpyArray none;
  none.kind = 'i';
  none.item_size = 4;
  none.shape = {features.shape.empty() ? 0 : features.shape[0]};
  none.where = features.where;
  const NpyArray& labels = labels_or_null != nullptr ? *labels_or_null : none;
  const bool float_features = features.kind == 'f' && (features.item_size == 4 || features.item_size == 8);
  const bool byte_features = features.kind == 'u' && features.item_size == 1;
  if (!float_features && !byte_features) {
    return corrupt(features.where, "features of dtype " + dtype_name(features) + ": use float32, float64 or uint8");
  }
  if (features.shape.size() != 2) {
    return corrupt(features.where, "features must be 2-D (examples x features), this array has " +
                                       std::to_string(features.shape.size()) + " dimension(s)");
  }
  if ((labels.kind != 'i' && labels.kind != 'u') ||
      (labels.item_size != 1 && labels.item_size != 2 && labels.item_size != 4 && labels.item_size != 8)) {
    return corrupt(labels.where, "labels of dtype " + dtype_name(labels) + ": use an integer type");
  }
  if (labels.shape.size() != 1) {
    return corrupt(labels.where, "labels must be 1-D, this array has " + std::to_string(labels.shape.size()) + " dimension(s)");
  }
  const std::int64_t rows = features.shape[0];
  if (labels.shape[0] != rows) {
    return corrupt(labels.where, std::to_string(labels.shape[0]) + " labels for " + std::to_string(rows) +
                                     " feature rows in " + features.where);
  }
  if (rows == 0 || features.shape[1] == 0) return corrupt(features.where, "no examples or no features");
  Dataset data;
  data.labels.reserve(static_cast<std::size_t>(rows));
  std::int64_t max_label = 0;
  for (std::int64_t i = 0; i < rows && labels_or_null != nullptr; ++i) {
    IST_ASSIGN_OR_RETURN(std::int64_t label, label_at(labels, i));
    data.labels.push_back(static_cast<std::int32_t>(label));
    max_label = std::max(max_label, label);
  }
  data.num_classes = labels_or_null != nullptr ? static_cast<int>(max_label + 1) : 0;
  if (shard && labels_or_null == nullptr) return corrupt(features.where, "a set without labels cannot be sharded");
  std::vector<std::int64_t> keep;
  if (shard) {
    auto selected = shard_indices(data.labels, *shard);
    if (!selected.ok()) return selected.status().with_context(labels_or_null->where);
    keep = std::move(selected).value();
  } else {
    keep.resize(static_cast<std::size_t>(rows));
    for (std::int64_t i = 0; i < rows; ++i) keep[static_cast<std::size_t>(i)] = i;
  }
  const std::int64_t columns = features.shape[1];
  data.features.resize(static_cast<Index>(keep.size()), static_cast<Index>(columns));
  std::vector<std::int32_t> kept_labels;
  kept_labels.reserve(keep.size());
  FeatureRows feature_rows(features, streamed);
  for (std::size_t r = 0; r < keep.size(); ++r) {
    const std::int64_t row = keep[r];
    float* out = data.features.data() + static_cast<std::int64_t>(r) * columns;
    IST_ASSIGN_OR_RETURN(const unsigned char* bytes, feature_rows.row(row));
    for (std::int64_t c = 0; c < columns; ++c) {
      const float v = feature_in_row(features, bytes, c);
      if (!std::isfinite(v)) {
        return corrupt(features.where, "row " + std::to_string(row) + ", feature " + std::to_string(c) + " is " +
                                           (std::isnan(v) ? "NaN" : "infinite"));
      }
      out[c] = v;
    }
    if (labels_or_null != nullptr) kept_labels.push_back(data.labels[static_cast<std::size_t>(row)]);
    // Every 4096 rows, the file's pages already converted go back to the kernel.
    if (features.mapping != nullptr && r % 4096 == 4095) {
      features.mapping->release_before(features.data + (row + 1) * columns * features.item_size);
    }
  }
  data.labels = std::move(kept_labels);
  data.origin = labels.where;  // check_labels names this file (and the example's index in it)
  if (shard) data.origin_rows = std::move(keep);
  return data;
}

// One member of a zip archive: its bytes as stored (deflated: compressed, inflated_size once inflated),
// or, after inflate_whole, its inflated copy.
struct ZipMember {
  std::string where;  // "file:member"
  const unsigned char* data = nullptr;
  std::size_t size = 0;
  bool deflated = false;
  std::size_t inflated_size = 0;
  std::shared_ptr<std::vector<unsigned char>> inflated;
};

// A deflated member's bytes inflated into memory (data and size then point at them); a stored one as it is.
Status inflate_whole(ZipMember& member) {
  if (!member.deflated) return Status::ok_status();
  member.inflated = std::make_shared<std::vector<unsigned char>>(member.inflated_size);
  MemberInflater inflater(member.data, member.size, member.where);
  IST_RETURN_IF_ERROR(inflater.read(member.inflated->data(), member.inflated_size));
  member.data = member.inflated->data();
  member.size = member.inflated->size();
  member.deflated = false;
  return Status::ok_status();
}

// optional: a missing member is an empty ZipMember (data null), not an error.
Result<ZipMember> find_zip_member(const MappedFile& file, const std::string& name, bool optional = false) {
  const unsigned char* b = file.data();
  const std::size_t n = file.size();
  const std::string& path = file.path();
  // End of central directory: the last 22+ bytes, after at most a 64 KiB comment.
  std::size_t eocd = std::string::npos;
  for (std::size_t back = 22; back <= n && back <= 22 + 65535; ++back) {
    if (le32(b + n - back) == 0x06054b50) {
      eocd = n - back;
      break;
    }
  }
  if (eocd == std::string::npos) return corrupt(path, "not a .npz (zip) archive");
  std::uint64_t entries = le16(b + eocd + 10);
  std::uint64_t directory = le32(b + eocd + 16);
  if (directory == 0xFFFFFFFFu && eocd >= 20 && le32(b + eocd - 20) == 0x07064b50) {  // zip64 locator
    const std::uint64_t record = le64(b + eocd - 20 + 8);
    if (record + 56 > n || le32(b + record) != 0x06064b50) return corrupt(path, "bad zip64 directory");
    entries = le64(b + record + 32);
    directory = le64(b + record + 48);
  }
  std::string names;
  std::uint64_t at = directory;
  for (std::uint64_t e = 0; e < entries; ++e) {
    if (at + 46 > n || le32(b + at) != 0x02014b50) return corrupt(path, "bad zip central directory");
    const int method = le16(b + at + 10);
    std::uint64_t compressed = le32(b + at + 20), uncompressed = le32(b + at + 24);
    const std::size_t name_length = le16(b + at + 28), extra_length = le16(b + at + 30), comment_length = le16(b + at + 32);
    std::uint64_t local = le32(b + at + 42);
    if (at + 46 + name_length + extra_length > n) return corrupt(path, "bad zip central directory");
    const std::string member(reinterpret_cast<const char*>(b + at + 46), name_length);
    // zip64 extra field: the 64-bit values of the fields that hold 0xFFFFFFFF, in this order.
    for (std::size_t x = 0; x + 4 <= extra_length;) {
      const unsigned char* field = b + at + 46 + name_length + x;
      const std::size_t length = le16(field + 2);
      if (le16(field) == 0x0001) {
        std::size_t k = 4;
        if (uncompressed == 0xFFFFFFFFu && k + 8 <= 4 + length) uncompressed = le64(field + k), k += 8;
        if (compressed == 0xFFFFFFFFu && k + 8 <= 4 + length) compressed = le64(field + k), k += 8;
        if (local == 0xFFFFFFFFu && k + 8 <= 4 + length) local = le64(field + k), k += 8;
      }
      x += 4 + length;
    }
    at += 46 + name_length + extra_length + comment_length;
    names += (names.empty() ? "" : ", ") + member;
    if (member != name) continue;
    if (local + 30 > n || le32(b + local) != 0x04034b50) return corrupt(path + ":" + name, "bad zip local header");
    const std::uint64_t start = local + 30 + le16(b + local + 26) + le16(b + local + 28);
    if (start + compressed > n) return corrupt(path + ":" + name, "truncated archive member");
    ZipMember found;
    found.where = path + ":" + name;
    found.data = b + start;
    found.size = static_cast<std::size_t>(compressed);
    if (method == 0) return found;
    if (method != 8) return corrupt(path + ":" + name, "zip compression method " + std::to_string(method) + " is not supported");
    if (uncompressed > 0xFFFFFFFFu || compressed > 0xFFFFFFFFu) {
      return corrupt(path + ":" + name, "compressed members over 4 GiB are not supported: save with np.savez");
    }
    found.deflated = true;
    found.inflated_size = static_cast<std::size_t>(uncompressed);
    return found;
  }
  if (optional) return ZipMember{};
  return Status::corrupt_data(path + ": no array '" + name.substr(0, name.size() - 4) + "' (the archive holds " +
                              (names.empty() ? std::string("nothing") : names) + ")");
}

// The .npy header of a deflated member, inflated from the front of `in` (which is left just past it).
Result<NpyArray> read_streamed_header(MemberInflater& in, std::size_t whole_size, const std::string& where) {
  std::vector<unsigned char> head(10);
  if (whole_size < head.size()) return corrupt(where, "not a .npy array (bad magic)");
  IST_RETURN_IF_ERROR(in.read(head.data(), head.size()));
  std::size_t header_length = le16(head.data() + 8);
  if (head[6] >= 2) {  // version 2 and 3: a 4-byte header length (parse_npy checks the magic and version)
    if (whole_size < 12) return corrupt(where, "truncated .npy header");
    head.resize(12);
    IST_RETURN_IF_ERROR(in.read(head.data() + 10, 2));
    header_length = le32(head.data() + 8);
  }
  if (header_length > whole_size - head.size()) return corrupt(where, "truncated .npy header");
  const std::size_t prefix = head.size();
  head.resize(prefix + header_length);
  IST_RETURN_IF_ERROR(in.read(head.data() + prefix, header_length));
  return parse_npy(head.data(), head.size(), where, whole_size);
}

// An archive's features and labels (labels_optional: a missing labels array is a set without labels).
// Labels are small and inflated whole; compressed features are inflated row by row as they are
// converted, so the archive's biggest array is never held twice.
Result<Dataset> load_npz(const std::string& path, const std::string& features_key, const std::string& labels_key,
                         bool labels_optional, const std::optional<ShardSpec>& shard) {
  IST_ASSIGN_OR_RETURN(MappedFile file, MappedFile::open(path));
  IST_ASSIGN_OR_RETURN(ZipMember features_member, find_zip_member(file, features_key + ".npy"));
  IST_ASSIGN_OR_RETURN(ZipMember labels_member, find_zip_member(file, labels_key + ".npy", labels_optional));
  std::optional<NpyArray> labels;
  if (labels_member.data != nullptr) {
    IST_RETURN_IF_ERROR(inflate_whole(labels_member));
    IST_ASSIGN_OR_RETURN(labels, parse_npy(labels_member.data, labels_member.size, path + ":" + labels_key));
  }
  const NpyArray* labels_or_null = labels ? &*labels : nullptr;
  const std::string where = path + ":" + features_key;
  if (!features_member.deflated) {
    IST_ASSIGN_OR_RETURN(NpyArray features, parse_npy(features_member.data, features_member.size, where));
    features.mapping = &file;
    return dataset_from(features, labels_or_null, shard);
  }
  MemberInflater inflater(features_member.data, features_member.size, where);
  IST_ASSIGN_OR_RETURN(NpyArray features, read_streamed_header(inflater, features_member.inflated_size, where));
  features.data = nullptr;  // the bytes come from the inflater
  return dataset_from(features, labels_or_null, shard, &inflater);
}

}  // namespace

Result<Dataset> load_npy_dataset(const std::string& features_path, const std::string& labels_path,
                                 const std::optional<ShardSpec>& shard) {
  IST_ASSIGN_OR_RETURN(MappedFile features_file, MappedFile::open(features_path));
  IST_ASSIGN_OR_RETURN(MappedFile labels_file, MappedFile::open(labels_path));
  IST_ASSIGN_OR_RETURN(NpyArray features, parse_npy(features_file.data(), features_file.size(), features_path));
  features.mapping = &features_file;
  IST_ASSIGN_OR_RETURN(NpyArray labels, parse_npy(labels_file.data(), labels_file.size(), labels_path));
  return dataset_from(features, &labels, shard);
}

Result<Dataset> load_npz_dataset(const std::string& path, const std::string& features_key, const std::string& labels_key,
                                 const std::optional<ShardSpec>& shard) {
  return load_npz(path, features_key, labels_key, /*labels_optional=*/false, shard);
}

Result<Dataset> load_npy_features(const std::string& features_path, const std::string& labels_path) {
  if (!labels_path.empty()) return load_npy_dataset(features_path, labels_path);
  IST_ASSIGN_OR_RETURN(MappedFile features_file, MappedFile::open(features_path));
  IST_ASSIGN_OR_RETURN(NpyArray features, parse_npy(features_file.data(), features_file.size(), features_path));
  features.mapping = &features_file;
  return dataset_from(features, nullptr, std::nullopt);
}

Result<Dataset> load_npz_features(const std::string& path, const std::string& features_key, const std::string& labels_key) {
  return load_npz(path, features_key, labels_key, /*labels_optional=*/true, std::nullopt);
}

}  // namespace ist
