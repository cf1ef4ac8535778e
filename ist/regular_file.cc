#include "ist/regular_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace ist {

namespace {
const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "something else";
}
}  // namespace

Status check_regular_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::not_found(path + ": no such file");
    return Status::io_error(path + ": cannot examine: " + std::strerror(errno));
  }
  if (S_ISREG(info.st_mode)) return Status::ok_status();
  return Status::invalid_argument(path + ": is " + kind_of(info.st_mode) +
                                  ", not a regular file; data must be read from a file");
}

}  // namespace ist
