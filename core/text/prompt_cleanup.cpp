#include "core/text/prompt_cleanup.h"

#include <cctype>
#include <cstdint>
#include <cstring>

namespace linvideo::text {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

void append_utf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Decodes the UTF-8 sequence at text[i]; returns its length. A stray byte counts as one
// character U+FFFD (never whitespace, so bytes like 0xA0 are not mistaken for U+00A0).
std::size_t decode_utf8(const std::string& text, std::size_t i, char32_t* c) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  std::size_t n = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (n == 1) {
    *c = b0;
    return 1;
  }
  if (n == 0 || i + n > text.size()) {
    *c = kReplacement;
    return 1;
  }
  char32_t value = b0 & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      *c = kReplacement;
      return 1;
    }
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  *c = value;
  return n;
}

bool is_unicode_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

struct Named {
  const char* name;
  char32_t value;
  bool legacy;  // HTML5 also accepts it without the ';'
};
const Named kNamed[] = {{"amp", '&', true},    {"lt", '<', true},      {"gt", '>', true},
                        {"quot", '"', true},   {"apos", '\'', false},  {"nbsp", 0xA0, false}};

// Tries a character reference at text[i] == '&'; on success appends it and returns its length.
std::size_t unescape_at(const std::string& text, std::size_t i, std::string* out) {
  const std::size_t start = i + 1;
  if (start < text.size() && text[start] == '#') {
    std::size_t k = start + 1;
    const bool hex = k < text.size() && (text[k] == 'x' || text[k] == 'X');
    if (hex) ++k;
    const std::size_t digits_begin = k;
    std::uint64_t value = 0;
    while (k < text.size() && (hex ? std::isxdigit(static_cast<unsigned char>(text[k]))
                                   : std::isdigit(static_cast<unsigned char>(text[k])))) {
      const char ch = static_cast<char>(std::tolower(static_cast<unsigned char>(text[k])));
      value = value * (hex ? 16 : 10) + static_cast<std::uint64_t>(ch <= '9' ? ch - '0' : ch - 'a' + 10);
      if (value > 0x10FFFF) value = 0x110000;  // saturate: invalid anyway
      ++k;
    }
    if (k == digits_begin) return 0;
    if (k < text.size() && text[k] == ';') ++k;
    const bool invalid = value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF);
    append_utf8(invalid ? kReplacement : static_cast<char32_t>(value), out);
    return k - i;
  }
  for (const Named& e : kNamed) {
    const std::size_t n = std::strlen(e.name);
    if (text.compare(start, n, e.name) != 0) continue;
    const bool semicolon = start + n < text.size() && text[start + n] == ';';
    if (!semicolon && !e.legacy) continue;
    append_utf8(e.value, out);
    return 1 + n + (semicolon ? 1 : 0);
  }
  return 0;
}

}  // namespace

std::string unescape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      if (const std::size_t used = unescape_at(text, i, &out)) {
        i += used;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

std::string collapse_whitespace(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (std::size_t i = 0; i < text.size();) {
    char32_t c = 0;
    const std::size_t n = decode_utf8(text, i, &c);
    if (is_unicode_space(c)) {
      pending_space = !out.empty();  // leading whitespace is dropped
    } else {
      if (pending_space) out.push_back(' ');
      pending_space = false;
      out.append(text, i, n);
    }
    i += n;
  }
  return out;  // trailing whitespace was never written
}

std::string clean_prompt(const std::string& text) {
  return collapse_whitespace(unescape_html(unescape_html(text)));
}

}  // namespace linvideo::text
