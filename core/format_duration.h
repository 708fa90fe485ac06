#pragma once
// The one human-readable duration of the project (issue 19: the CLI and the studio had four):
// "45 s", "3 min 05 s", "2 h 07 min". Progress lines, ETAs and the studio's status bar all use it.
#include <string>

namespace linvideo {

// Rounded to the second; "" for a negative or non-finite value (no estimate yet), and
// "more than 10000 h" past that.
std::string format_duration(double seconds);

}  // namespace linvideo
