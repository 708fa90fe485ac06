#include "core/io/pickle_scan.h"

#include <cstdint>
#include <cstdio>
#include <vector>

namespace linvideo::io {
namespace {

std::uint64_t le(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string hex_byte(unsigned char c) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", c);
  return text;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::string pickle_program_depth_problem(const unsigned char* p, std::size_t n, std::size_t max_depth) {
  std::size_t i = 0, depth = 0;
  std::vector<std::size_t> marks;
  const std::string truncated = "the pickle is truncated";
  // Skips `count` argument bytes; false when they run past the end.
  auto skip = [&](std::uint64_t count) {
    if (count > n - i) {
      i = n;  // reported as truncated
      return false;
    }
    i += static_cast<std::size_t>(count);
    return true;
  };
  auto skip_line = [&]() {
    while (i < n && p[i] != '\n') ++i;
    if (i == n) return false;
    ++i;
    return true;
  };
  // Skips a length-prefixed argument whose length takes `width` bytes.
  auto skip_counted = [&](int width) {
    if (static_cast<std::size_t>(width) > n - i) {
      i = n;
      return false;
    }
    const std::uint64_t len = le(p + i, width);
    i += width;
    return skip(len);
  };
  auto pop = [&](std::size_t k) {
    if (depth < k) return false;
    depth -= k;
    return true;
  };
  auto to_mark = [&](std::size_t then_push) {
    if (marks.empty() || marks.back() > depth) return false;
    depth = marks.back() + then_push;
    marks.pop_back();
    return true;
  };
  while (i < n) {
    const unsigned char op = p[i++];
    bool ok = true;
    switch (op) {
      case '.': return {};  // STOP
      case '(': marks.push_back(depth); break;  // MARK
      // push one, with arguments of various kinds
      case 'F': case 'I': case 'L': case 'S': case 'V': case 'g': case 'P': ok = skip_line(); ++depth; break;
      case 'c': ok = skip_line() && skip_line(); ++depth; break;  // GLOBAL
      case 'J': ok = skip(4); ++depth; break;
      case 'K': case 'h': case 0x82: ok = skip(1); ++depth; break;
      case 'M': case 0x83: ok = skip(2); ++depth; break;
      case 'j': case 0x84: ok = skip(4); ++depth; break;
      case 'G': ok = skip(8); ++depth; break;
      case 'T': case 'X': case 'B': case 0x8b: ok = skip_counted(4); ++depth; break;
      case 'U': case 'C': case 0x8a: case 0x8c: ok = skip_counted(1); ++depth; break;
      case 0x8d: case 0x8e: case 0x96: ok = skip_counted(8); ++depth; break;
      case 'N': case 0x88: case 0x89: case '}': case ']': case ')': case 0x8f: case 0x97: ++depth; break;
      case '2': ok = depth > 0; ++depth; break;  // DUP
      // no change in depth
      case 'p': ok = skip_line(); break;
      case 'q': case 0x80: ok = skip(1); break;
      case 'r': ok = skip(4); break;
      case 0x95: ok = skip(8); break;
      case 'Q': case 0x85: case 0x98: ok = depth > 0; break;
      case 0x94: ok = depth > 0; break;  // MEMOIZE
      // pops
      case '0': case 'R': case 'b': case 'a': case 0x81: case 0x86: case 0x93: ok = pop(1); break;
      case 's': case 0x87: case 0x92: ok = pop(2); break;
      // up to the mark
      case 't': case 'l': case 'd': case 0x91: case 'o': ok = to_mark(1); break;
      case 'e': case 'u': case 0x90: case '1': ok = to_mark(0); break;
      case 'i': ok = skip_line() && skip_line() && to_mark(1); break;  // INST
      default: return "unknown pickle opcode " + hex_byte(op);
    }
    if (!ok) return i >= n ? truncated : "a malformed pickle (opcode " + hex_byte(op) + ")";
    if (depth + marks.size() > max_depth)
      return "the pickle nests deeper than " + std::to_string(max_depth) + " levels";
  }
  return truncated;
}

std::string pickle_depth_problem(const char* data, std::size_t size, std::size_t max_depth) {
  const auto* z = reinterpret_cast<const unsigned char*>(data);
  if (size < 22) return {};
  // End of central directory: the last PK\5\6 within the final 64 KiB + 22 bytes.
  std::size_t eocd = size - 22;
  const std::size_t lowest = size > 65557 ? size - 65557 : 0;
  while (le(z + eocd, 4) != 0x06054b50u) {
    if (eocd == lowest) return {};
    --eocd;
  }
  std::uint64_t entries = le(z + eocd + 10, 2), cd_offset = le(z + eocd + 16, 4);
  if (cd_offset == 0xffffffffu || entries == 0xffffu) {  // zip64: follow the locator
    if (eocd < 20 || le(z + eocd - 20, 4) != 0x07064b50u) return {};
    const std::uint64_t z64 = le(z + eocd - 20 + 8, 8);
    if (z64 > size - 56 || le(z + z64, 4) != 0x06064b50u) return {};
    entries = le(z + z64 + 32, 8);
    cd_offset = le(z + z64 + 48, 8);
  }
  std::uint64_t at = cd_offset;
  for (std::uint64_t e = 0; e < entries; ++e) {
    if (at > size || size - at < 46 || le(z + at, 4) != 0x02014b50u) return {};
    const std::uint64_t method = le(z + at + 10, 2), packed = le(z + at + 20, 4);
    const std::uint64_t name_len = le(z + at + 28, 2), extra_len = le(z + at + 30, 2), comment_len = le(z + at + 32, 2);
    const std::uint64_t local = le(z + at + 42, 4);
    if (size - at - 46 < name_len) return {};
    const std::string name(reinterpret_cast<const char*>(z + at + 46), static_cast<std::size_t>(name_len));
    if (ends_with(name, "data.pkl") && name.find("/data/") == std::string::npos) {
      if (method != 0 || packed == 0xffffffffu || local == 0xffffffffu) return {};  // the unpickler will say
      if (local > size || size - local < 30 || le(z + local, 4) != 0x04034b50u) return {};
      const std::uint64_t start = local + 30 + le(z + local + 26, 2) + le(z + local + 28, 2);
      if (start > size || size - start < packed) return "the archive's data.pkl runs past the end of the file";
      return pickle_program_depth_problem(z + start, static_cast<std::size_t>(packed), max_depth);
    }
    at += 46 + name_len + extra_len + comment_len;
  }
  return {};
}

}  // namespace linvideo::io
