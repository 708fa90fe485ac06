#pragma once
// A check of a torch.save zip's pickle before LibTorch's unpickler sees it (issue 18): deeply
// nested containers crash that unpickler (its recursion, and the recursive destruction of what it
// built), so the stack depth the pickle program reaches is bounded here, by reading its opcodes
// without building anything. No LibTorch; plain bytes in, a reason out.
#include <cstddef>
#include <string>

namespace linvideo::io {

// Empty when the archive's data.pkl stays within `max_depth` stack entries (or the archive cannot
// be read this way, e.g. a compressed entry, which the unpickler then reports); otherwise a short
// reason ("the pickle nests deeper than 1000 levels", "unknown pickle opcode 0x..").
std::string pickle_depth_problem(const char* data, std::size_t size, std::size_t max_depth);

// The same on a bare pickle program (no zip around it).
std::string pickle_program_depth_problem(const unsigned char* p, std::size_t n, std::size_t max_depth);

}  // namespace linvideo::io
