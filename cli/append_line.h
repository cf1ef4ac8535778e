// Appending one line to a log-like file (metrics.jsonl) so that it is whole or absent: a reader (ist
// report, a resumed run) never finds half a line, whatever the disk does.
#pragma once

#include <string>

#include "base/status.h"

namespace ist::cli {

// Appends `line` and a newline to the file at `path` (created 0644 if missing). If any write fails or
// comes up short (a full disk, a file size limit) the file is cut back to its size before the call and
// the error returned: io_error naming the path and the OS error. Not atomic against other writers of the
// same file: the run directory's lock keeps those out. Any thread, one call per file at a time.
Status append_whole_line(const std::string& path, const std::string& line);

}  // namespace ist::cli
