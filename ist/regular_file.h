// Data files must be regular files: a FIFO, a device or a socket named as data would block the reader
// forever (a FIFO with no writer) or stream without end (/dev/zero). Checked before a file is opened.
#pragma once

#include <string>

#include "base/status.h"

namespace ist {

// ok when path names a regular file (after following symlinks). Errors: not_found (nothing there),
// invalid_argument naming the path and what it is instead ("a FIFO", "a directory", "a character
// device", ...), io_error when it cannot be examined. Never opens the file; any thread.
Status check_regular_file(const std::string& path);

}  // namespace ist
