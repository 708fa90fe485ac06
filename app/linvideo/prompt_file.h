#pragma once
// The CLI's name for the one prompts-file reader (core/io/prompts_file.h).
#include "core/io/prompts_file.h"

namespace linvideo::cli {
using io::read_prompt_lines;
}  // namespace linvideo::cli
