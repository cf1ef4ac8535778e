// A regular file mapped read-only into memory: how the NumPy readers see a data file without holding a
// second copy of it. Refuses anything that is not a regular file (a FIFO, a directory, a device), which
// could block a reader forever or has no size.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/status.h"

namespace ist {

class MappedFile {
 public:
  // Errors: not_found (no such file), invalid_argument (not a regular file), io_error (open or mmap).
  static Result<MappedFile> open(const std::string& path);
  const unsigned char* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Lets the kernel drop the mapped pages wholly before `upto` (a reader that has consumed them): a file
  // read front to back then never sits in memory whole beside what was made of it. Reading them again
  // reads the file again.
  void release_before(const unsigned char* upto) const;

 private:
  struct Unmap {
    std::size_t size = 0;
    void operator()(const unsigned char* p) const;
  };
  std::string path_;
  std::shared_ptr<const unsigned char> data_;  // shared: copies of a MappedFile share one mapping
  std::size_t size_ = 0;
};

}  // namespace ist
