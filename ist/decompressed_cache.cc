#include "ist/decompressed_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "ist/safetensors.h"

namespace ist {
namespace {

namespace fs = std::filesystem;

// What the gzip trailer says of the data: its CRC-32 and its length modulo 2^32 (RFC 1952).
struct GzipTrailer {
  std::uint32_t crc = 0;
  std::uint32_t size_mod_2_32 = 0;
};

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status os_error(const std::string& path, const char* action) {
  return Status::io_error(path + ": " + action + " failed: " + std::strerror(errno));
}

std::uint32_t little_endian_u32(const unsigned char* b) {
  return std::uint32_t{b[0]} | (std::uint32_t{b[1]} << 8) | (std::uint32_t{b[2]} << 16) | (std::uint32_t{b[3]} << 24);
}

Result<GzipTrailer> read_trailer(const std::string& gz_path) {
  FileDescriptor fd(::open(gz_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return os_error(gz_path, "open");
  unsigned char head[2];
  unsigned char tail[8];
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return os_error(gz_path, "stat");
  if (st.st_size < 18 || ::pread(fd.get(), head, 2, 0) != 2 || head[0] != 0x1f || head[1] != 0x8b) {
    return Status::invalid_argument(gz_path + ": not a gzip file");
  }
  if (::pread(fd.get(), tail, 8, st.st_size - 8) != 8) return os_error(gz_path, "read");
  return GzipTrailer{little_endian_u32(tail), little_endian_u32(tail + 4)};
}

// True when the file at path holds data whose length and CRC-32 are the trailer's.
bool matches(const std::string& path, const GzipTrailer& trailer) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return false;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (static_cast<std::uint32_t>(static_cast<std::uint64_t>(st.st_size)) != trailer.size_mod_2_32) return false;
  std::vector<unsigned char> buffer(std::size_t{1} << 20);
  uLong crc = crc32(0L, Z_NULL, 0);
  std::uint64_t total = 0;
  for (;;) {
    const ssize_t r = ::read(fd.get(), buffer.data(), buffer.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0) break;
    crc = crc32(crc, buffer.data(), static_cast<uInt>(r));
    total += static_cast<std::uint64_t>(r);
  }
  return total == static_cast<std::uint64_t>(st.st_size) && static_cast<std::uint32_t>(crc) == trailer.crc;
}

// FNV-1a 64 of the source's absolute path, in hex: copies of different sources never share a name.
std::string path_hash(const std::string& text) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

// Inflates gz_path into path (atomically); the copy is kept only when its CRC-32 and length are the trailer's.
Status build_copy(const std::string& gz_path, const std::string& path, const GzipTrailer& trailer) {
  gzFile file = gzopen(gz_path.c_str(), "rb");
  if (file == nullptr) return os_error(gz_path, "open");
  std::unique_ptr<gzFile_s, int (*)(gzFile)> closer(file, gzclose);
  gzbuffer(file, 1 << 17);
  uLong crc = crc32(0L, Z_NULL, 0);
  std::uint64_t total = 0;
  const auto inflate = [&](const AppendBytes& append) -> Status {
    std::vector<unsigned char> buffer(std::size_t{1} << 20);
    for (;;) {
      const int r = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()));
      if (r < 0) return Status::corrupt_data(gz_path + ": bad gzip data");
      if (r == 0) return Status::ok_status();
      crc = crc32(crc, buffer.data(), static_cast<uInt>(r));
      total += static_cast<std::uint64_t>(r);
      IST_RETURN_IF_ERROR(append(buffer.data(), static_cast<std::size_t>(r)));
    }
  };
  IST_RETURN_IF_ERROR(write_file_atomically(path, inflate));
  if (static_cast<std::uint32_t>(crc) != trailer.crc || static_cast<std::uint32_t>(total) != trailer.size_mod_2_32) {
    // E.g. a file of several gzip members: the trailer covers the last one only, so no copy could verify.
    std::error_code ignored;
    fs::remove(path, ignored);
    return Status::invalid_argument(gz_path + ": its gzip trailer does not describe the whole data; not cached");
  }
  return Status::ok_status();
}

// Removes the copies of earlier versions of the same source (same prefix, another name); their readers,
// if any, keep their open files.
void remove_older_copies(const fs::path& dir, const std::string& prefix, const std::string& current) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || name == current) continue;
    // Not a build in progress, nor a lock (removing one that is held would let two builders in).
    if (name.find(".tmp-") != std::string::npos || name.ends_with(".lock")) continue;
    std::error_code ignored;
    fs::remove(entry.path(), ignored);
  }
}

}  // namespace

std::optional<std::string> default_data_cache_dir() {
  if (const char* dir = std::getenv("IST_DATA_CACHE"); dir != nullptr) {
    if (*dir == '\0' || std::strcmp(dir, "off") == 0) return std::nullopt;
    return std::string(dir);
  }
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return (fs::path(xdg) / "ist" / "data").string();
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
    return (fs::path(home) / ".cache" / "ist" / "data").string();
  }
  return std::nullopt;
}

Result<DecompressedCopy> decompressed_copy(const std::string& gz_path, const std::string& cache_dir) {
  std::error_code ec;
  const fs::path source = fs::absolute(gz_path, ec);
  if (ec) return Status::io_error(gz_path + ": " + ec.message());
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) return os_error(gz_path, "stat");
  IST_ASSIGN_OR_RETURN(const GzipTrailer trailer, read_trailer(source.string()));
  const std::string prefix = source.filename().string() + "-" + path_hash(source.string()) + "-";
  const std::string name = prefix + std::to_string(st.st_size) + "-" +
                           std::to_string(static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec);
  const fs::path dir(cache_dir);
  const std::string path = (dir / name).string();
  if (matches(path, trailer)) return DecompressedCopy{path, false};

  fs::create_directories(dir, ec);
  if (ec) return Status::io_error(cache_dir + ": cannot create the data cache folder: " + ec.message());
  const std::string lock_path = path + ".lock";
  FileDescriptor lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (lock.get() < 0) return os_error(lock_path, "open");
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return os_error(lock_path, "lock");
  }
  // Whoever held the lock before us may have built it.
  if (matches(path, trailer)) return DecompressedCopy{path, false};
  IST_RETURN_IF_ERROR(build_copy(source.string(), path, trailer));
  remove_older_copies(dir, prefix, name);
  return DecompressedCopy{path, true};
}

}  // namespace ist
