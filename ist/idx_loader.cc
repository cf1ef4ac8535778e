// The IDX format of (Fashion-)MNIST, read through zlib so gzip and plain files look the same.
// Layout: a big-endian u32 magic (0x00000801 labels, 0x00000803 images), big-endian u32 dimensions,
// then unsigned bytes. With a shard the labels are read first, the shard is decided from them, and the
// images file is streamed keeping only the shard's rows (a shard is a seeded random part of the rows,
// spread over the whole file, so the whole file is read; a gzip file is read from the host's decompressed
// copy of it when the data cache is on).
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "ist/data.h"
#include "ist/decompressed_cache.h"
#include "ist/regular_file.h"

namespace ist {
namespace {

constexpr std::uint32_t kLabelsMagic = 0x00000801;
constexpr std::uint32_t kImagesMagic = 0x00000803;
// A guard against a corrupt header asking for an absurd allocation; real images are far smaller.
constexpr std::uint64_t kMaxPixelsPerImage = std::uint64_t{1} << 24;

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

std::string hex32(std::uint32_t value) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "0x%08x", value);
  return buffer;
}

// Opens path for reading through zlib. A gzip file is read from this host's decompressed copy of it when
// the data cache has one or can make one (decompressed_cache.h), so that not every trainer inflates it;
// messages name path either way.
Result<GzHandle> open_gz(const std::string& path) {
  IST_RETURN_IF_ERROR(check_regular_file(path));
  std::string readable = path;
  // Small files (labels, the test set's 4 MB) inflate in a few ms: not worth a copy on disk.
  constexpr std::uintmax_t kSmallestCachedGzip = std::uintmax_t{8} << 20;
  std::error_code ec;
  if (path.ends_with(".gz") && std::filesystem::file_size(path, ec) >= kSmallestCachedGzip && !ec) {
    if (const std::optional<std::string> cache = default_data_cache_dir()) {
      if (Result<DecompressedCopy> copy = decompressed_copy(path, *cache); copy.ok()) readable = copy->path;
    }
  }
  errno = 0;
  gzFile file = gzopen(readable.c_str(), "rb");
  if (file == nullptr) {
    return Status::io_error(path + ": cannot open: " + (errno != 0 ? std::strerror(errno) : "out of memory"));
  }
  gzbuffer(file, 1 << 17);
  return GzHandle(file);
}

// Reads exactly n bytes or explains why not. what names the bytes for the message, e.g. "pixel".
// expected_total/already_read make a truncation message speak of the whole section, not one chunk.
Status read_exact(gzFile file, const std::string& path, unsigned char* dst, std::size_t n, const char* what,
                  std::uint64_t expected_total, std::uint64_t already_read) {
  std::size_t got = 0;
  while (got < n) {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - got, std::size_t{1} << 30));
    const int r = gzread(file, dst + got, chunk);
    if (r < 0) {
      int code = Z_OK;
      const char* message = gzerror(file, &code);
      if (code == Z_ERRNO) return Status::io_error(path + ": read failed: " + std::strerror(errno));
      return Status::corrupt_data(path + ": bad gzip data: " + message);
    }
    if (r == 0) {
      int code = Z_OK;
      gzerror(file, &code);
      const char* note = code == Z_BUF_ERROR ? " (the gzip stream ends early)" : "";
      return Status::corrupt_data(path + ": truncated: expected " + std::to_string(expected_total) + " " + what +
                                  " bytes, got " + std::to_string(already_read + got) + note);
    }
    got += static_cast<std::size_t>(r);
  }
  return Status::ok_status();
}

Result<std::uint32_t> read_u32_be(gzFile file, const std::string& path, const char* what) {
  unsigned char bytes[4];
  IST_RETURN_IF_ERROR(read_exact(file, path, bytes, 4, what, 4, 0));
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) |
         std::uint32_t{bytes[3]};
}

Status expect_magic(gzFile file, const std::string& path, std::uint32_t expected, const char* kind) {
  IST_ASSIGN_OR_RETURN(const std::uint32_t magic, read_u32_be(file, path, "magic number"));
  if (magic != expected) {
    return Status::corrupt_data(path + ": wrong magic number " + hex32(magic) + ", expected " + hex32(expected) +
                                " (an IDX " + kind + " file)");
  }
  return Status::ok_status();
}

// Declared sizes must match the bytes exactly: extra bytes mean the header lies about the dimensions.
Status expect_end(gzFile file, const std::string& path, std::uint64_t declared) {
  unsigned char byte = 0;
  const int r = gzread(file, &byte, 1);
  if (r > 0) {
    return Status::corrupt_data(path + ": unexpected bytes after the " + std::to_string(declared) +
                                " bytes the header declares");
  }
  if (r < 0) {
    int code = Z_OK;
    const char* message = gzerror(file, &code);
    return Status::corrupt_data(path + ": bad gzip data: " + message);
  }
  return Status::ok_status();
}

struct Labels {
  std::vector<std::int32_t> values;
  int num_classes = 0;
};

Result<Labels> read_labels(const std::string& path) {
  IST_ASSIGN_OR_RETURN(GzHandle file, open_gz(path));
  IST_RETURN_IF_ERROR(expect_magic(file.get(), path, kLabelsMagic, "labels"));
  IST_ASSIGN_OR_RETURN(const std::uint32_t count, read_u32_be(file.get(), path, "label count"));
  if (count == 0) return Status::corrupt_data(path + ": the header declares no labels");
  Labels labels;
  // Read in chunks so a header that lies about the count fails on truncation, not on allocation.
  std::vector<unsigned char> chunk(1 << 16);
  std::uint64_t done = 0;
  int max_label = 0;
  while (done < count) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(count - done, chunk.size()));
    IST_RETURN_IF_ERROR(read_exact(file.get(), path, chunk.data(), n, "label", count, done));
    for (std::size_t i = 0; i < n; ++i) {
      labels.values.push_back(chunk[i]);
      max_label = std::max<int>(max_label, chunk[i]);
    }
    done += n;
  }
  IST_RETURN_IF_ERROR(expect_end(file.get(), path, std::uint64_t{8} + count));
  labels.num_classes = max_label + 1;
  return labels;
}

// Streams the images file and keeps the rows listed in rows (ascending), or all rows when rows is null.
Result<Matrix> read_images(const std::string& path, const std::string& labels_path, std::uint64_t label_count,
                           const std::vector<std::int64_t>* rows) {
  IST_ASSIGN_OR_RETURN(GzHandle file, open_gz(path));
  IST_RETURN_IF_ERROR(expect_magic(file.get(), path, kImagesMagic, "images"));
  IST_ASSIGN_OR_RETURN(const std::uint32_t count, read_u32_be(file.get(), path, "image count"));
  IST_ASSIGN_OR_RETURN(const std::uint32_t height, read_u32_be(file.get(), path, "row count"));
  IST_ASSIGN_OR_RETURN(const std::uint32_t width, read_u32_be(file.get(), path, "column count"));
  const std::uint64_t pixels = std::uint64_t{height} * width;
  if (pixels == 0 || pixels > kMaxPixelsPerImage) {
    return Status::corrupt_data(path + ": bad image size " + std::to_string(height) + " x " + std::to_string(width));
  }
  if (count != label_count) {
    return Status::corrupt_data(path + ": holds " + std::to_string(count) + " images but " + labels_path +
                                " holds " + std::to_string(label_count) + " labels");
  }
  const Index kept = rows != nullptr ? static_cast<Index>(rows->size()) : static_cast<Index>(count);
  Matrix features(kept, static_cast<Index>(pixels));

  const std::uint64_t total = std::uint64_t{count} * pixels;
  constexpr std::uint64_t kChunkBytes = 1 << 18;
  const std::uint64_t rows_per_chunk = std::max<std::uint64_t>(1, kChunkBytes / pixels);
  std::vector<unsigned char> buffer(static_cast<std::size_t>(rows_per_chunk * pixels));
  std::size_t next_kept = 0;  // position in rows of the next row to keep
  Index out = 0;
  for (std::uint64_t first = 0; first < count; first += rows_per_chunk) {
    const std::uint64_t n = std::min<std::uint64_t>(rows_per_chunk, count - first);
    IST_RETURN_IF_ERROR(read_exact(file.get(), path, buffer.data(), static_cast<std::size_t>(n * pixels), "pixel",
                                   total, first * pixels));
    for (std::uint64_t i = 0; i < n; ++i) {
      const auto row = static_cast<std::int64_t>(first + i);
      if (rows != nullptr) {
        if (next_kept >= rows->size() || (*rows)[next_kept] != row) continue;
        ++next_kept;
      }
      const unsigned char* src = buffer.data() + i * pixels;
      float* dst = features.row(out).data();
      for (std::uint64_t p = 0; p < pixels; ++p) dst[p] = static_cast<float>(src[p]) / 255.0f;
      ++out;
    }
  }
  IST_RETURN_IF_ERROR(expect_end(file.get(), path, 16 + total));
  return features;
}

// dir/name.gz if present, else dir/name; not_found naming both when neither exists.
Result<std::string> find_idx_file(const std::string& directory, const std::string& name) {
  const std::filesystem::path dir(directory);
  const std::string gz = (dir / (name + ".gz")).string();
  const std::string plain = (dir / name).string();
  std::error_code ec;
  if (std::filesystem::exists(gz, ec)) return gz;
  if (std::filesystem::exists(plain, ec)) return plain;
  return Status::not_found(gz + ": no such file (nor " + plain + ")");
}

}  // namespace

Result<Dataset> load_idx_files(const std::string& images_path, const std::string& labels_path,
                               const std::optional<ShardSpec>& shard) {
  IST_ASSIGN_OR_RETURN(Labels labels, read_labels(labels_path));
  std::vector<std::int64_t> rows;
  if (shard.has_value()) {
    auto selected = shard_indices(labels.values, *shard);
    if (!selected.ok()) return selected.status().with_context(labels_path);
    rows = std::move(selected).value();
  }
  const auto label_count = static_cast<std::uint64_t>(labels.values.size());
  IST_ASSIGN_OR_RETURN(Matrix features,
                       read_images(images_path, labels_path, label_count, shard.has_value() ? &rows : nullptr));
  Dataset data;
  data.features = std::move(features);
  data.num_classes = labels.num_classes;  // of the whole file, so every shard agrees on the class count
  data.origin = labels_path;
  if (shard.has_value()) {
    data.labels.reserve(rows.size());
    for (std::int64_t r : rows) data.labels.push_back(labels.values[static_cast<std::size_t>(r)]);
    data.origin_rows = std::move(rows);
  } else {
    data.labels = std::move(labels.values);
  }
  return data;
}

Result<Dataset> load_idx_dataset(const std::string& directory, Split split, const std::optional<ShardSpec>& shard) {
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  IST_ASSIGN_OR_RETURN(const std::string images, find_idx_file(directory, prefix + "-images-idx3-ubyte"));
  IST_ASSIGN_OR_RETURN(const std::string labels, find_idx_file(directory, prefix + "-labels-idx1-ubyte"));
  return load_idx_files(images, labels, shard);
}

}  // namespace ist
