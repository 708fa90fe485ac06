#pragma once
// Process-wide settings the front ends apply first thing in main().
namespace linvideo {

// glibc's allocator hands every block above 32 MiB back to the kernel when it is freed, so each
// im2col buffer, activation and attention score matrix of a CPU run is mapped fresh and its pages
// zeroed again: a quarter of a DiT forward of the embedded model on 2 cores. This keeps blocks up to
// 256 MiB in the heap and returns free memory past 512 MiB at its top. No-op outside glibc and when
// the user set MALLOC_* or GLIBC_TUNABLES themselves.
void tune_allocator();

}  // namespace linvideo
