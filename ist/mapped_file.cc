#include "ist/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ist {

void MappedFile::Unmap::operator()(const unsigned char* p) const {
  if (p != nullptr && size > 0) munmap(const_cast<unsigned char*>(p), size);
}

void MappedFile::release_before(const unsigned char* upto) const {
  const unsigned char* base = data_.get();
  if (base == nullptr || upto <= base) return;
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t length = std::min(static_cast<std::size_t>(upto - base), size_) / page * page;
  if (length > 0) madvise(const_cast<unsigned char*>(base), length, MADV_DONTNEED);
}

Result<MappedFile> MappedFile::open(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return Status::not_found(path + ": no such file");
    return Status::io_error(path + ": " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) return Status::invalid_argument(path + ": not a regular file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::io_error(path + ": cannot open: " + std::strerror(errno));
  MappedFile file;
  file.path_ = path;
  file.size_ = static_cast<std::size_t>(info.st_size);
  if (file.size_ > 0) {
    void* p = mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    const int mmap_errno = errno;
    ::close(fd);
    if (p == MAP_FAILED) return Status::io_error(path + ": cannot map: " + std::strerror(mmap_errno));
    file.data_ = std::shared_ptr<const unsigned char>(static_cast<const unsigned char*>(p), Unmap{file.size_});
  } else {
    ::close(fd);
  }
  return file;
}

}  // namespace ist
