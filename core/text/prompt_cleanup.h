#pragma once
// Prompt clean-up before tokenising, as Wan and diffusers do it: double HTML unescape, then
// whitespace runs collapsed to one space and the ends stripped.
//
// The references also run ftfy.fix_text first (mojibake repair, Unicode fixes). ftfy is a Python
// library with no C++ counterpart available here, so that step is not done: prompts that are
// already valid UTF-8 (nearly all) are unaffected.
#include <string>

namespace linvideo::text {

// One pass of HTML unescaping (Python's html.unescape, for the entities prompts actually contain):
// &amp; &lt; &gt; &quot; &apos; &nbsp; (the first four also without ';'), decimal &#NNN; and hex
// &#xHH; references (';' optional). Invalid code points become U+FFFD; unknown entities stay.
std::string unescape_html(const std::string& text);

// Collapses every run of Unicode whitespace (what Python's \s matches) to one ASCII space and
// strips both ends.
std::string collapse_whitespace(const std::string& text);

// unescape_html twice, then collapse_whitespace.
std::string clean_prompt(const std::string& text);

}  // namespace linvideo::text
