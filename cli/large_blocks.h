// How the `ist` program's processes hand memory back: every block of 1 MiB or more is its own mapping,
// returned to the OS when freed. glibc's default raises that threshold to the largest block freed so far
// (up to 32 MiB), after which a driver's 12-32 MiB slice frames and evaluation buffers come from the heap
// and stay resident once freed: measured at 784-8192-8192-10, S = 2, the driver's peak RSS stood about
// 170 MiB above its peak heap. Large buffers the program reuses on purpose are kept by rt::Blob's pool.
#pragma once

namespace ist::cli {

// Call once at the start of main, before any thread starts.
void return_large_blocks_to_the_os();

}  // namespace ist::cli
