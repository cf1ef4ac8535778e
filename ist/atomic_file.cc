// write_file_atomically: a reader of path sees the old file or the new one, never half of either, and
// after a crash the new file is on disk once this returned ok.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "ist/safetensors.h"

namespace ist {
namespace {

Status os_error(const std::string& path, const char* action) {
  return Status::io_error(path + ": " + action + " failed: " + std::strerror(errno));
}

Status write_all(int fd, const std::string& path, const void* data, std::size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t r = ::write(fd, bytes + done, size - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      return os_error(path, "write");
    }
    done += static_cast<std::size_t>(r);
  }
  return Status::ok_status();
}

Status fsync_directory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error(directory, "open directory");
  const int r = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (r != 0) return os_error(directory, "fsync directory");
  return Status::ok_status();
}

}  // namespace

Status write_file_atomically(const std::string& path, const std::string& bytes) {
  return write_file_atomically(path, [&](const AppendBytes& append) { return append(bytes.data(), bytes.size()); });
}

Status write_file_atomically(const std::string& path, const std::function<Status(const AppendBytes& append)>& produce) {
  // pid and a counter: distinct for concurrent writers in different processes and threads.
  static std::atomic<std::uint64_t> counter{0};
  const std::string temp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return os_error(temp, "create");
  Status status = produce([&](const void* data, std::size_t size) { return write_all(fd, temp, data, size); });
  if (status.ok() && ::fsync(fd) != 0) status = os_error(temp, "fsync");
  if (::close(fd) != 0 && status.ok()) status = os_error(temp, "close");
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) status = os_error(path, "rename");
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  std::string directory = std::filesystem::path(path).parent_path().string();
  if (directory.empty()) directory = ".";
  return fsync_directory(directory);
}

}  // namespace ist
