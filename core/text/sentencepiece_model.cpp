#include "core/text/sentencepiece_model.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <fstream>

#include "core/error.h"

namespace linvideo::text {
namespace {

// ---- protobuf wire format -------------------------------------------------------------------

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kBytes = 2, kFixed32 = 5 };

struct Field {
  std::uint32_t number = 0;
  std::uint32_t wire = 0;
  std::uint64_t varint = 0;   // kVarint
  std::uint32_t fixed32 = 0;  // kFixed32
  std::string_view bytes;     // kBytes
};

// Reads the fields of one message in order; `where` names the message for errors.
class WireReader {
 public:
  WireReader(std::string_view data, std::string where) : data_(data), where_(std::move(where)) {}

  bool next(Field* f) {
    if (pos_ >= data_.size()) return false;
    const std::uint64_t key = varint("a field key");
    if (key >> 32) fail("field key out of range");
    f->number = static_cast<std::uint32_t>(key >> 3);
    f->wire = static_cast<std::uint32_t>(key & 7);
    if (f->number == 0) fail("field number 0");
    switch (f->wire) {
      case kVarint: f->varint = varint("a varint"); break;
      case kFixed64: take(8, "a 64-bit value"); break;
      case kFixed32: {
        const std::string_view b = take(4, "a 32-bit value");
        f->fixed32 = static_cast<std::uint32_t>(static_cast<unsigned char>(b[0])) |
                     static_cast<std::uint32_t>(static_cast<unsigned char>(b[1])) << 8 |
                     static_cast<std::uint32_t>(static_cast<unsigned char>(b[2])) << 16 |
                     static_cast<std::uint32_t>(static_cast<unsigned char>(b[3])) << 24;
        break;
      }
      case kBytes: {
        const std::uint64_t n = varint("a length");
        if (n > data_.size() - pos_) {
          fail("field " + std::to_string(f->number) + " is truncated (" + std::to_string(n) + " bytes declared, " +
               std::to_string(data_.size() - pos_) + " left)");
        }
        f->bytes = take(static_cast<std::size_t>(n), "bytes");
        break;
      }
      default: fail("field " + std::to_string(f->number) + " has wire type " + std::to_string(f->wire) +
                    ", which SentencePiece models do not use");
    }
    return true;
  }

  [[noreturn]] void fail(const std::string& what) const { throw Error(where_ + ": " + what); }
  const std::string& where() const { return where_; }

 private:
  std::uint64_t varint(const char* what) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) fail(std::string("truncated inside ") + what);
      const auto b = static_cast<unsigned char>(data_[pos_++]);
      v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail(std::string("over-long varint in ") + what);
  }
  std::string_view take(std::size_t n, const char* what) {
    if (n > data_.size() - pos_) fail(std::string("truncated inside ") + what);
    const std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  std::string where_;
};

void expect_wire(const WireReader& r, const Field& f, std::uint32_t wire, const char* name) {
  if (f.wire != wire) r.fail(std::string(name) + " has the wrong wire type (" + std::to_string(f.wire) + ")");
}

bool read_bool(const WireReader& r, const Field& f, const char* name) {
  expect_wire(r, f, kVarint, name);
  return f.varint != 0;
}

std::string read_string(const WireReader& r, const Field& f, const char* name, std::size_t max_bytes) {
  expect_wire(r, f, kBytes, name);
  if (f.bytes.size() > max_bytes) {
    r.fail(std::string(name) + " is " + std::to_string(f.bytes.size()) + " bytes (at most " +
           std::to_string(max_bytes) + ")");
  }
  return std::string(f.bytes);
}

// ---- UTF-8, as SentencePiece 0.1.97 decodes it -------------------------------------------------

std::size_t one_char_len(char c) {
  static constexpr unsigned char kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[static_cast<unsigned char>(c) >> 4];
}

bool is_trail(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
bool valid_codepoint(std::uint32_t c) { return c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF); }

// Length of the valid UTF-8 character at the start of s, or 0 when it is malformed. (A literal
// U+FFFD is valid; SentencePiece tells the two apart the same way.)
std::size_t valid_char_len(std::string_view s) {
  const auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i])); };
  if (b(0) < 0x80) return 1;
  if (s.size() >= 2 && (b(0) & 0xE0) == 0xC0) {
    const std::uint32_t cp = ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    if (is_trail(s[1]) && cp >= 0x80 && valid_codepoint(cp)) return 2;
  } else if (s.size() >= 3 && (b(0) & 0xF0) == 0xE0) {
    const std::uint32_t cp = ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    if (is_trail(s[1]) && is_trail(s[2]) && cp >= 0x800 && valid_codepoint(cp)) return 3;
  } else if (s.size() >= 4 && (b(0) & 0xF8) == 0xF0) {
    const std::uint32_t cp = ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
    if (is_trail(s[1]) && is_trail(s[2]) && is_trail(s[3]) && cp >= 0x10000 && valid_codepoint(cp)) return 4;
  }
  return 0;
}

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581, SentencePiece's visible space
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";
constexpr std::size_t kMaxCharsmapResults = 32;  // SentencePiece looks at the first 32 rule matches
constexpr float kUnkPenalty = 10.0f;
constexpr float kEpsilon = 1e-7f;

bool less_bytes(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  const int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
  return c != 0 ? c < 0 : a.size() < b.size();
}

std::string byte_piece(unsigned char b) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  return std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">";
}

}  // namespace

SentencePieceModel SentencePieceModel::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(path + ": cannot open the tokenizer model");
  const std::streamoff size = in.tellg();
  if (size < 0) throw Error(path + ": cannot read the tokenizer model");
  if (static_cast<std::uint64_t>(size) > kMaxFileBytes) {
    throw Error(path + ": tokenizer model is " + std::to_string(size) + " bytes, more than any SentencePiece model (" +
                std::to_string(kMaxFileBytes) + ")");
  }
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), size)) throw Error(path + ": cannot read the tokenizer model");
  return parse(bytes, path);
}

SentencePieceModel SentencePieceModel::parse(std::string_view bytes, const std::string& label) {
  SentencePieceModel m;
  m.label_ = label;
  const std::string prefix = label + ": not a valid SentencePiece model: ";
  if (bytes.size() > kMaxFileBytes) throw Error(prefix + "larger than " + std::to_string(kMaxFileBytes) + " bytes");
  WireReader model(bytes, prefix + "ModelProto");
  bool has_charsmap = false;
  std::string charsmap;
  for (Field f; model.next(&f);) {
    if (f.number == 1) {  // repeated SentencePiece pieces
      expect_wire(model, f, kBytes, "pieces");
      if (m.pieces_.size() >= kMaxPieces) model.fail("more than " + std::to_string(kMaxPieces) + " pieces");
      WireReader pr(f.bytes, prefix + "pieces[" + std::to_string(m.pieces_.size()) + "]");
      Piece p;
      for (Field g; pr.next(&g);) {
        if (g.number == 1) {
          p.text = read_string(pr, g, "piece", kMaxPieceBytes);
        } else if (g.number == 2) {
          expect_wire(pr, g, kFixed32, "score");
          std::memcpy(&p.score, &g.fixed32, sizeof p.score);
          if (!std::isfinite(p.score)) pr.fail("score is not finite");
        } else if (g.number == 3) {
          expect_wire(pr, g, kVarint, "type");
          if (g.varint < 1 || g.varint > 6) pr.fail("type " + std::to_string(g.varint) + " is not a piece type");
          p.type = static_cast<Type>(g.varint);
        }
      }
      if (p.text.empty()) pr.fail("piece is empty");
      m.pieces_.push_back(std::move(p));
    } else if (f.number == 2) {  // TrainerSpec
      expect_wire(model, f, kBytes, "trainer_spec");
      WireReader tr(f.bytes, prefix + "trainer_spec");
      for (Field g; tr.next(&g);) {
        switch (g.number) {
          case 3:
            expect_wire(tr, g, kVarint, "model_type");
            if (g.varint != 1 && g.varint != 2) {
              tr.fail("model_type " + std::to_string(g.varint) + " is not supported (unigram, as T5 uses, or BPE)");
            }
            m.bpe_ = g.varint == 2;
            break;
          case 24: m.treat_whitespace_as_suffix_ = read_bool(tr, g, "treat_whitespace_as_suffix"); break;
          case 35: m.byte_fallback_ = read_bool(tr, g, "byte_fallback"); break;
          case 45: m.unk_piece_ = read_string(tr, g, "unk_piece", kMaxPieceBytes); break;
          case 47: m.eos_piece_ = read_string(tr, g, "eos_piece", kMaxPieceBytes); break;
          case 48: m.pad_piece_ = read_string(tr, g, "pad_piece", kMaxPieceBytes); break;
          default: break;
        }
      }
    } else if (f.number == 3) {  // NormalizerSpec
      expect_wire(model, f, kBytes, "normalizer_spec");
      WireReader nr(f.bytes, prefix + "normalizer_spec");
      for (Field g; nr.next(&g);) {
        switch (g.number) {
          case 2:
            charsmap = read_string(nr, g, "precompiled_charsmap", kMaxFileBytes);
            has_charsmap = true;
            break;
          case 3: m.add_dummy_prefix_ = read_bool(nr, g, "add_dummy_prefix"); break;
          case 4: m.remove_extra_whitespaces_ = read_bool(nr, g, "remove_extra_whitespaces"); break;
          case 5: m.escape_whitespaces_ = read_bool(nr, g, "escape_whitespaces"); break;
          default: break;
        }
      }
    } else if (f.number == 4) {  // SelfTestData
      expect_wire(model, f, kBytes, "self_test_data");
      WireReader sr(f.bytes, prefix + "self_test_data");
      for (Field g; sr.next(&g);) {
        if (g.number != 1) continue;
        expect_wire(sr, g, kBytes, "samples");
        if (m.self_tests_.size() >= 1024) sr.fail("more than 1024 self-test samples");
        WireReader sample(g.bytes, sr.where() + ".samples[" + std::to_string(m.self_tests_.size()) + "]");
        SelfTest t;
        for (Field h; sample.next(&h);) {
          if (h.number == 1) t.input = read_string(sample, h, "input", 1u << 16);
          if (h.number == 2) t.expected = read_string(sample, h, "expected", 1u << 18);
        }
        m.self_tests_.push_back(std::move(t));
      }
    }
  }
  if (m.pieces_.empty()) throw Error(prefix + "it has no pieces");

  if (has_charsmap && !charsmap.empty()) {
    // <trie size, uint32 little-endian><double array of uint32 units><NUL-terminated replacements>
    if (charsmap.size() <= 4) throw Error(prefix + "normalizer_spec.precompiled_charsmap is truncated");
    const auto u = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(charsmap[i])); };
    const std::uint32_t trie_bytes = u(0) | u(1) << 8 | u(2) << 16 | u(3) << 24;
    if (trie_bytes % 4 != 0 || trie_bytes > charsmap.size() - 4) {
      throw Error(prefix + "normalizer_spec.precompiled_charsmap: its trie (" + std::to_string(trie_bytes) +
                  " bytes) does not fit in " + std::to_string(charsmap.size() - 4) + " bytes");
    }
    m.trie_.resize(trie_bytes / 4);
    for (std::size_t i = 0; i < m.trie_.size(); ++i) {
      const std::size_t o = 4 + 4 * i;
      m.trie_[i] = u(o) | u(o + 1) << 8 | u(o + 2) << 16 | u(o + 3) << 24;
    }
    m.replacements_ = charsmap.substr(4 + trie_bytes);
    m.replacements_.push_back('\0');  // every replacement ends before the end, whatever the file says
  }
  m.build(prefix);
  return m;
}

void SentencePieceModel::build(const std::string& prefix) {
  const int n = static_cast<int>(pieces_.size());
  by_text_.resize(pieces_.size());
  for (int i = 0; i < n; ++i) by_text_[static_cast<std::size_t>(i)] = i;
  // Reserved pieces (control, unknown, byte) sort before matchable ones of the same text, so an
  // exact lookup finds them first, as SentencePiece's PieceToId does.
  const auto reserved = [&](int id) {
    const Type t = pieces_[static_cast<std::size_t>(id)].type;
    return t == Type::Control || t == Type::Unknown || t == Type::Byte;
  };
  std::sort(by_text_.begin(), by_text_.end(), [&](int a, int b) {
    const std::string& ta = pieces_[static_cast<std::size_t>(a)].text;
    const std::string& tb = pieces_[static_cast<std::size_t>(b)].text;
    if (ta != tb) return less_bytes(ta, tb);
    return reserved(a) > reserved(b);
  });
  for (std::size_t i = 1; i < by_text_.size(); ++i) {
    const int a = by_text_[i - 1], b = by_text_[i];
    if (pieces_[static_cast<std::size_t>(a)].text == pieces_[static_cast<std::size_t>(b)].text &&
        reserved(a) == reserved(b)) {
      throw Error(prefix + "pieces[" + std::to_string(std::max(a, b)) + "] repeats piece \"" +
                  pieces_[static_cast<std::size_t>(b)].text + "\"");
    }
  }

  std::vector<bool> byte_found(256, false);
  byte_ids_.assign(256, -1);
  min_score_ = FLT_MAX;
  max_score_ = FLT_MIN;  // (sic: SentencePiece starts from the smallest positive float)
  for (int i = 0; i < n; ++i) {
    const Piece& p = pieces_[static_cast<std::size_t>(i)];
    if (p.type == Type::Unknown) {
      if (unk_id_ >= 0) throw Error(prefix + "pieces[" + std::to_string(i) + "] is a second unknown piece");
      unk_id_ = i;
    }
    if (p.type == Type::Normal) {
      min_score_ = std::min(min_score_, p.score);
      max_score_ = std::max(max_score_, p.score);
    }
    if (p.type == Type::Normal || p.type == Type::UserDefined || p.type == Type::Unused) sorted_.push_back(i);
    if (p.type == Type::UserDefined) user_sorted_.push_back(i);
    if (p.type == Type::Byte) {
      if (!byte_fallback_) {
        throw Error(prefix + "pieces[" + std::to_string(i) + "] is the byte piece \"" + p.text +
                    "\" but trainer_spec.byte_fallback is off");
      }
      int value = -1;
      for (int b = 0; b < 256 && value < 0; ++b) {
        if (p.text == byte_piece(static_cast<unsigned char>(b))) value = b;
      }
      if (value < 0) throw Error(prefix + "pieces[" + std::to_string(i) + "] \"" + p.text + "\" is not a byte piece");
      byte_found[static_cast<std::size_t>(value)] = true;
      byte_ids_[static_cast<std::size_t>(value)] = i;
    }
  }
  if (unk_id_ < 0) throw Error(prefix + "no piece has the unknown type");
  if (byte_fallback_ && std::find(byte_found.begin(), byte_found.end(), false) != byte_found.end()) {
    throw Error(prefix + "trainer_spec.byte_fallback is on but the model lacks some of the 256 byte pieces");
  }
  if (sorted_.empty() && !bpe_) throw Error(prefix + "it has no normal pieces to encode with");
  const auto by_bytes = [&](int a, int b) {
    return less_bytes(pieces_[static_cast<std::size_t>(a)].text, pieces_[static_cast<std::size_t>(b)].text);
  };
  std::sort(sorted_.begin(), sorted_.end(), by_bytes);
  std::sort(user_sorted_.begin(), user_sorted_.end(), by_bytes);
  const auto control_id = [&](const std::string& text) {
    const int id = piece_id(text);
    return id >= 0 && pieces_[static_cast<std::size_t>(id)].type == Type::Control ? id : -1;
  };
  eos_id_ = control_id(eos_piece_);
  pad_id_ = control_id(pad_piece_);

  // The model's own self-test samples, as SentencePiece runs them when it loads a model.
  for (std::size_t i = 0; i < self_tests_.size(); ++i) {
    const SelfTest& t = self_tests_[i];
    std::string actual;
    for (const std::string& p : encode_pieces(t.input)) actual += (actual.empty() ? "" : " ") + p;
    if (actual == t.expected) continue;
    const auto score = [&](const std::string& joined) {
      float total = 0;
      std::size_t start = 0;
      while (start <= joined.size()) {
        const std::size_t end = std::min(joined.find(' ', start), joined.size());
        const std::string_view p(joined.data() + start, end - start);
        const int id = piece_id(p);
        if (id < 0 || id == unk_id_) {
          total += min_score_ - kUnkPenalty;
        } else if (pieces_[static_cast<std::size_t>(id)].type == Type::UserDefined) {
          total = static_cast<float>(total + (static_cast<float>(p.size()) * max_score_ - 0.1));
        } else {
          total += pieces_[static_cast<std::size_t>(id)].score;
        }
        start = end + 1;
      }
      return total;
    };
    if (std::abs(score(t.expected) - score(actual)) > kEpsilon) {
      throw Error(prefix + "self_test_data.samples[" + std::to_string(i) + "] encodes to \"" + actual +
                  "\", not \"" + t.expected + "\"");
    }
  }
}

int SentencePieceModel::matchable_id(std::string_view text) const {
  const auto it = std::lower_bound(sorted_.begin(), sorted_.end(), text, [&](int id, std::string_view t) {
    return less_bytes(pieces_[static_cast<std::size_t>(id)].text, t);
  });
  if (it == sorted_.end() || pieces_[static_cast<std::size_t>(*it)].text != text) return -1;
  return *it;
}

int SentencePieceModel::piece_id(std::string_view text) const {
  const auto it = std::lower_bound(by_text_.begin(), by_text_.end(), text, [&](int id, std::string_view t) {
    return less_bytes(pieces_[static_cast<std::size_t>(id)].text, t);
  });
  if (it == by_text_.end() || pieces_[static_cast<std::size_t>(*it)].text != text) return -1;
  return *it;
}

std::size_t SentencePieceModel::charsmap_match(std::string_view text, std::string_view* replacement) const {
  if (trie_.empty()) return 0;
  // darts-clone's unit: bit 8 = a leaf hangs below, low byte (and bit 31) = label, the rest = offset.
  const auto offset = [](std::uint32_t unit) -> std::size_t { return (unit >> 10) << ((unit & (1u << 9)) >> 6); };
  const auto corrupt = [&]() {
    return Error(label_ + ": not a valid SentencePiece model: normalizer_spec.precompiled_charsmap points outside itself");
  };
  std::size_t pos = offset(trie_[0]);
  std::size_t found = 0, longest = 0;
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    pos ^= c;
    if (pos >= trie_.size()) break;  // no such child (darts-clone would read past the array)
    const std::uint32_t unit = trie_[pos];
    if ((unit & ((1u << 31) | 0xFF)) != c) break;
    pos ^= offset(unit);
    if ((unit >> 8) & 1) {
      if (pos >= trie_.size()) throw corrupt();
      if (found < kMaxCharsmapResults) {
        longest = i + 1;
        value = trie_[pos] & ((1u << 31) - 1);
        if (value >= replacements_.size()) throw corrupt();
      }
      ++found;
    }
  }
  if (longest) *replacement = std::string_view(replacements_.data() + value);  // NUL-terminated
  return longest;
}

std::size_t SentencePieceModel::user_symbol_match(std::string_view text) const {
  std::size_t longest = 0;
  if (!user_sorted_.empty()) for_each_prefix_piece(user_sorted_, text, [&](int, std::size_t len) { longest = len; });
  return longest;
}

template <typename F>
void SentencePieceModel::for_each_prefix_piece(const std::vector<int>& sorted, std::string_view text, F&& f) const {
  // `sorted` holds piece ids in byte order; the pieces that share the first k bytes of text form
  // one run, narrowed byte by byte. A piece exactly k+1 bytes long opens its run.
  std::size_t lo = 0, hi = sorted.size();
  for (std::size_t k = 0; k < text.size() && lo < hi; ++k) {
    const int c = static_cast<unsigned char>(text[k]);
    const auto key = [&](int id) {
      const std::string& t = pieces_[static_cast<std::size_t>(id)].text;
      return t.size() > k ? static_cast<int>(static_cast<unsigned char>(t[k])) : -1;
    };
    const auto first = sorted.begin() + static_cast<std::ptrdiff_t>(lo);
    const auto last = sorted.begin() + static_cast<std::ptrdiff_t>(hi);
    const auto b = std::partition_point(first, last, [&](int id) { return key(id) < c; });
    const auto e = std::partition_point(b, last, [&](int id) { return key(id) <= c; });
    lo = static_cast<std::size_t>(b - sorted.begin());
    hi = static_cast<std::size_t>(e - sorted.begin());
    if (lo < hi && pieces_[static_cast<std::size_t>(sorted[lo])].text.size() == k + 1) f(sorted[lo], k + 1);
  }
}

std::string SentencePieceModel::normalize(std::string_view input) const {
  // One normalisation step: what the next bytes of input become, and how many bytes they were.
  const auto step = [&](std::string_view in) -> std::pair<std::string_view, std::size_t> {
    if (const std::size_t n = user_symbol_match(in)) return {in.substr(0, n), n};  // never normalised
    std::string_view replacement;
    if (const std::size_t n = charsmap_match(in, &replacement)) return {replacement, n};
    const std::size_t n = valid_char_len(in);
    if (n == 0) return {kReplacementChar, 1};
    return {in.substr(0, n), n};
  };
  std::string out;
  if (remove_extra_whitespaces_) {
    while (!input.empty()) {
      const auto s = step(input);
      if (s.first != " ") break;
      input.remove_prefix(s.second);
    }
  }
  if (input.empty()) return out;
  out.reserve(input.size() * 3);
  const auto add_space = [&] { out += escape_whitespaces_ ? kSpaceSymbol : std::string_view(" "); };
  if (!treat_whitespace_as_suffix_ && add_dummy_prefix_) add_space();
  bool prev_space = remove_extra_whitespaces_;
  while (!input.empty()) {
    auto [piece, consumed] = step(input);
    while (prev_space && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    if (!piece.empty()) {
      for (const char c : piece) {
        if (escape_whitespaces_ && c == ' ') {
          out += kSpaceSymbol;
        } else {
          out += c;
        }
      }
      prev_space = piece.back() == ' ';
    }
    input.remove_prefix(consumed);
    if (!remove_extra_whitespaces_) prev_space = false;
  }
  if (remove_extra_whitespaces_) {
    const std::string_view space = escape_whitespaces_ ? kSpaceSymbol : std::string_view(" ");
    while (out.size() >= space.size() && std::string_view(out).substr(out.size() - space.size()) == space) {
      out.resize(out.size() - space.size());
    }
  }
  if (treat_whitespace_as_suffix_ && add_dummy_prefix_) add_space();
  return out;
}

std::vector<SentencePieceModel::Segment> SentencePieceModel::viterbi(std::string_view text) const {
  struct Best {
    int id = -1;
    float score = 0;
    std::ptrdiff_t starts_at = -1;
  };
  const std::size_t size = text.size();
  std::vector<Best> best(size + 1);
  const float unk_score = min_score_ - kUnkPenalty;
  for (std::size_t start = 0; start < size;) {
    const float till_here = best[start].score;
    const std::size_t mblen = std::min(one_char_len(text[start]), size - start);
    bool has_single = false;
    for_each_prefix_piece(sorted_, text.substr(start), [&](int id, std::size_t len) {
      const Piece& p = pieces_[static_cast<std::size_t>(id)];
      if (p.type == Type::Unused) return;
      Best& target = best[start + len];
      // SentencePiece's `cond ? length * max_score - 0.1 : score` is a double for every piece, so
      // the sum is formed in double and compared with the stored float; ties depend on that.
      const double score = p.type == Type::UserDefined ? static_cast<float>(len) * max_score_ - 0.1  // a bonus that always wins
                                                       : static_cast<double>(p.score);
      const double candidate = score + till_here;
      if (target.starts_at == -1 || candidate > target.score) {
        target = {id, static_cast<float>(candidate), static_cast<std::ptrdiff_t>(start)};
      }
      if (len == mblen) has_single = true;
    });
    if (!has_single) {
      Best& target = best[start + mblen];
      const float candidate = unk_score + till_here;
      if (target.starts_at == -1 || candidate > target.score) {
        target = {unk_id_, candidate, static_cast<std::ptrdiff_t>(start)};
      }
    }
    start += mblen;
  }
  std::vector<Segment> out;
  for (std::size_t end = size; end > 0;) {
    const Best& b = best[end];
    if (b.starts_at < 0 || static_cast<std::size_t>(b.starts_at) >= end) {
      throw Error(label_ + ": tokenizer found no segmentation (corrupt model)");
    }
    out.push_back({static_cast<std::size_t>(b.starts_at), end, b.id});
    end = static_cast<std::size_t>(b.starts_at);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<SentencePieceModel::Segment> SentencePieceModel::bpe(std::string_view text) const {
  // SentencePiece's BPE: start from characters (user-defined symbols whole and frozen), then merge
  // the adjacent pair whose concatenation is the best-scoring piece, leftmost first on ties, until
  // no pair is a piece. Unused pieces are split back into the pair they were made of.
  struct Symbol {
    std::ptrdiff_t prev, next;
    bool frozen;
    std::size_t begin, size;
  };
  struct Pair {
    float score;
    std::ptrdiff_t left, right;
    std::size_t size;
  };
  const auto worse = [](const Pair& a, const Pair& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::vector<Symbol> symbols;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t len = user_symbol_match(text.substr(pos));
    const bool frozen = len > 0;
    if (!frozen) len = std::min(one_char_len(text[pos]), text.size() - pos);
    const auto index = static_cast<std::ptrdiff_t>(symbols.size());
    symbols.push_back({index - 1, pos + len < text.size() ? index + 1 : -1, frozen, pos, len});
    pos += len;
  }
  std::vector<Pair> agenda;
  std::vector<std::pair<std::string_view, std::size_t>> split_of_unused;  // piece -> length of its left part
  const auto consider = [&](std::ptrdiff_t left, std::ptrdiff_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<std::size_t>(left)];
    const Symbol& r = symbols[static_cast<std::size_t>(right)];
    if (l.frozen || r.frozen) return;
    const std::string_view merged = text.substr(l.begin, l.size + r.size);
    const int id = matchable_id(merged);
    if (id < 0) return;
    agenda.push_back({pieces_[static_cast<std::size_t>(id)].score, left, right, merged.size()});
    std::push_heap(agenda.begin(), agenda.end(), worse);
    if (pieces_[static_cast<std::size_t>(id)].type == Type::Unused) {
      const auto it = std::find_if(split_of_unused.begin(), split_of_unused.end(),
                                   [&](const auto& e) { return e.first == merged; });
      if (it != split_of_unused.end()) {
        it->second = l.size;  // the latest pair wins, as in SentencePiece's map
      } else {
        split_of_unused.emplace_back(merged, l.size);
      }
    }
  };
  for (std::size_t i = 1; i < symbols.size(); ++i) consider(static_cast<std::ptrdiff_t>(i) - 1, static_cast<std::ptrdiff_t>(i));
  while (!agenda.empty()) {
    std::pop_heap(agenda.begin(), agenda.end(), worse);
    const Pair top = agenda.back();
    agenda.pop_back();
    Symbol& l = symbols[static_cast<std::size_t>(top.left)];
    Symbol& r = symbols[static_cast<std::size_t>(top.right)];
    if (l.size == 0 || r.size == 0 || l.size + r.size != top.size) continue;  // stale
    l.size += r.size;
    l.next = r.next;
    if (r.next >= 0) symbols[static_cast<std::size_t>(r.next)].prev = top.left;
    r.size = 0;
    consider(l.prev, top.left);
    consider(top.left, l.next);
  }
  std::vector<Segment> out;
  // Resegmentation is recursive in SentencePiece; a stack of ranges here (depth bounded by length).
  std::vector<std::pair<std::size_t, std::size_t>> stack;
  for (std::ptrdiff_t i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[static_cast<std::size_t>(i)].next) {
    stack.emplace_back(symbols[static_cast<std::size_t>(i)].begin, symbols[static_cast<std::size_t>(i)].size);
    while (!stack.empty()) {
      const auto [begin, size] = stack.back();
      stack.pop_back();
      const std::string_view w = text.substr(begin, size);
      int id = piece_id(w);
      if (id < 0) id = unk_id_;
      const auto split = std::find_if(split_of_unused.begin(), split_of_unused.end(),
                                      [&](const auto& e) { return e.first == w; });
      if (pieces_[static_cast<std::size_t>(id)].type != Type::Unused || split == split_of_unused.end()) {
        out.push_back({begin, begin + size, id});
        continue;
      }
      stack.emplace_back(begin + split->second, size - split->second);  // right, popped second
      stack.emplace_back(begin, split->second);
    }
  }
  return out;
}

std::vector<SentencePieceModel::Segment> SentencePieceModel::segment(std::string_view normalized) const {
  return bpe_ ? bpe(normalized) : viterbi(normalized);
}

std::vector<int> SentencePieceModel::encode(std::string_view text) const {
  const std::string normalized = normalize(text);
  std::vector<int> ids;
  bool prev_unk = false;
  for (const Segment& s : segment(normalized)) {
    const bool unk = s.id == unk_id_;
    if (unk && byte_fallback_) {
      for (std::size_t i = s.begin; i < s.end; ++i) ids.push_back(byte_ids_[static_cast<unsigned char>(normalized[i])]);
    } else if (!(unk && prev_unk)) {  // a run of unknown characters is one unk
      ids.push_back(s.id);
    }
    prev_unk = unk;
  }
  return ids;
}

std::vector<std::string> SentencePieceModel::encode_pieces(std::string_view text) const {
  const std::string normalized = normalize(text);
  std::vector<std::string> out;
  bool prev_unk = false;
  for (const Segment& s : segment(normalized)) {
    const bool unk = s.id == unk_id_;
    const std::string surface = normalized.substr(s.begin, s.end - s.begin);
    if (unk && byte_fallback_) {
      for (const char c : surface) out.push_back(byte_piece(static_cast<unsigned char>(c)));
    } else if (unk && prev_unk) {
      out.back() += surface;
    } else {
      out.push_back(surface);
    }
    prev_unk = unk;
  }
  return out;
}

}  // namespace linvideo::text
