#include "cli/large_blocks.h"

#include <malloc.h>

namespace ist::cli {

void return_large_blocks_to_the_os() {
  // Setting the threshold explicitly also turns glibc's dynamic adjustment off.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
}

}  // namespace ist::cli
