#include "cli/append_line.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ist::cli {

Status append_whole_line(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::io_error(path + ": cannot open for appending: " + std::strerror(errno));
  struct stat before {};
  if (::fstat(fd, &before) != 0) {
    const int saved = errno;
    ::close(fd);
    return Status::io_error(path + ": cannot examine: " + std::strerror(saved));
  }
  const std::string bytes = line + "\n";
  std::size_t done = 0;
  int error = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = n < 0 ? errno : EIO;
      break;
    }
    done += static_cast<std::size_t>(n);  // a short write: the next one says why, or finishes the line
  }
  if (error != 0 && done > 0 && S_ISREG(before.st_mode)) {
    // Part of the line reached the file: take it back, so the file ends where it ended before.
    (void)::ftruncate(fd, before.st_size);
  }
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    return Status::io_error(path + ": cannot append a line (" + std::to_string(done) + " of " +
                            std::to_string(bytes.size()) +
                            " bytes written, then taken back): " + std::strerror(error));
  }
  return Status::ok_status();
}

}  // namespace ist::cli
