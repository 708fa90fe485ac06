// Our SentencePiece reader (core/text/sentencepiece_model.h):
// - against the independent `spm_encode` CLI (Debian's sentencepiece 0.1.97) on unigram and BPE
//   models trained here with every normaliser option T5-style models use, on random text with odd
//   Unicode and malformed UTF-8;
// - on hand-built model files whose ids are worked out by hand below;
// - on hostile model files, each refused with one line naming the file and the field.
#include "core/text/sentencepiece_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/error.h"
#include "tests/support/test_support.h"

using linvideo::Error;
using linvideo::text::SentencePieceModel;

namespace {

// ---- a protobuf writer for hand-built models (independent of the reader under test) ----------

std::string varint(std::uint64_t v) {
  std::string out;
  do {
    unsigned char b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (v);
  return out;
}
std::string key(int field, int wire) { return varint(static_cast<std::uint64_t>(field) << 3 | static_cast<unsigned>(wire)); }
std::string bytes_field(int field, const std::string& payload) { return key(field, 2) + varint(payload.size()) + payload; }
std::string varint_field(int field, std::uint64_t v) { return key(field, 0) + varint(v); }
std::string float_field(int field, float f) {
  char b[4];
  std::memcpy(b, &f, 4);
  return key(field, 5) + std::string(b, 4);
}

enum PieceType { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };
std::string piece(const std::string& text, float score, int type = kNormal) {
  return bytes_field(1, bytes_field(1, text) + float_field(2, score) + varint_field(3, static_cast<std::uint64_t>(type)));
}
const std::string kSpace = "\xE2\x96\x81";  // U+2581

// <unk> 0, </s> 1, <pad> 2, then normal pieces.
std::string basic_pieces() {
  return piece("<unk>", 0, kUnknown) + piece("</s>", 0, kControl) + piece("<pad>", 0, kControl) +
         piece(kSpace, -2) + piece(kSpace + "a", -1) + piece("a", -2) + piece("b", -3);
}
// A normaliser without a character map (no NFKC rules), SentencePiece's default whitespace rules.
std::string plain_normalizer() { return bytes_field(3, bytes_field(1, "identity")); }

SentencePieceModel parse(const std::string& bytes) { return SentencePieceModel::parse(bytes, "hand.model"); }

// The error `bytes` is refused with; fails the test when they load.
std::string refusal(const std::string& bytes) {
  try {
    const SentencePieceModel m = parse(bytes);
    (void)m.encode("a b \xC3\xA9 \xE4\xB8\xAD");
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "a hostile model loaded and encoded";
  return "";
}

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace

// ---- hand-built models -------------------------------------------------------------------------

TEST(SentencePieceModel, HandBuiltModelEncodesAsWorkedOutByHand) {
  const SentencePieceModel m = parse(basic_pieces() + plain_normalizer());
  EXPECT_EQ(m.vocab_size(), 7);
  EXPECT_EQ(m.unk_id(), 0);
  EXPECT_EQ(m.eos_id(), 1);
  EXPECT_EQ(m.pad_id(), 2);
  // "a b" -> "▁a▁b": ▁a (-1) + ▁ (-2) + b (-3) = -6 beats ▁ a ▁ b (-9).
  EXPECT_EQ(m.normalize("a b"), kSpace + "a" + kSpace + "b");
  EXPECT_EQ(m.encode("a b"), (std::vector<int>{4, 3, 6}));
  // Extra spaces go: leading, trailing and repeated.
  EXPECT_EQ(m.encode("   a    b  "), (std::vector<int>{4, 3, 6}));
  // "xyz" is three unknown characters after ▁: one merged unk.
  EXPECT_EQ(m.encode("xyz"), (std::vector<int>{3, 0}));
  EXPECT_EQ(m.encode_pieces("xyz"), (std::vector<std::string>{kSpace, "xyz"}));
  // A malformed byte becomes U+FFFD, itself unknown; a valid "é" too; they merge with x.
  EXPECT_EQ(m.encode("a\xFFx\xC3\xA9"), (std::vector<int>{4, 0}));
  EXPECT_EQ(m.encode_pieces("a\xFF"), (std::vector<std::string>{kSpace + "a", "\xEF\xBF\xBD"}));
  EXPECT_TRUE(m.encode("").empty());
  EXPECT_TRUE(m.encode("   ").empty());
}

TEST(SentencePieceModel, UserDefinedSymbolsWinAndByteFallbackSpellsUnknownsAsBytes) {
  std::string pieces = piece("<unk>", 0, kUnknown) + piece(kSpace, -1) + piece("a", -1) + piece("b", -1) +
                       piece("ab", 0, kUserDefined);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    pieces += piece(name, 0, kByte);
  }
  const std::string trainer = bytes_field(2, varint_field(35, 1));  // byte_fallback
  const SentencePieceModel m = parse(pieces + trainer + plain_normalizer());
  EXPECT_TRUE(m.byte_fallback());
  // "ab" as the user symbol (score about -0.1) beats a + b (-2).
  EXPECT_EQ(m.encode("ab"), (std::vector<int>{1, 4}));
  // "é" (C3 A9) is unknown: its two bytes, ids 5 + 0xC3 and 5 + 0xA9.
  EXPECT_EQ(m.encode("a\xC3\xA9"), (std::vector<int>{1, 2, 5 + 0xC3, 5 + 0xA9}));
  EXPECT_EQ(m.encode_pieces("\xC3\xA9"), (std::vector<std::string>{kSpace, "<0xC3>", "<0xA9>"}));
}

TEST(SentencePieceModel, BpeMergesBestPairsAndSplitsUnusedPiecesBack) {
  // <unk> 0, ▁ 1, a 2, b 3, ab 4 (unused), then optionally ▁ab 5.
  const std::string base = piece("<unk>", 0, kUnknown) + piece(kSpace, -1) + piece("a", -1) + piece("b", -1) +
                           piece("ab", -0.5f, kUnused) + bytes_field(2, varint_field(3, 2)) + plain_normalizer();
  // "▁ab": a+b merge into the unused "ab" (no ▁a piece); nothing merges further, and the unused
  // piece is split back into the pair it came from.
  EXPECT_EQ(parse(base).encode("ab"), (std::vector<int>{1, 2, 3}));
  // With ▁ab a piece, ▁ + ab merges on, and the result is a used piece.
  EXPECT_EQ(parse(base + piece(kSpace + "ab", -2)).encode("ab"), (std::vector<int>{5}));
  // An unknown character stays a symbol of its own: unk.
  EXPECT_EQ(parse(base).encode("a\xC3\xA9"), (std::vector<int>{1, 2, 0}));
}

TEST(SentencePieceModel, NormaliserOptionsAreHonoured) {
  // add_dummy_prefix off, remove_extra_whitespaces off, escape_whitespaces off.
  const std::string spec = bytes_field(3, varint_field(3, 0) + varint_field(4, 0) + varint_field(5, 0));
  const SentencePieceModel m = parse(basic_pieces() + spec);
  EXPECT_EQ(m.normalize(" a  b "), " a  b ");
  // treat_whitespace_as_suffix moves the dummy space to the end.
  const SentencePieceModel s = parse(basic_pieces() + bytes_field(2, varint_field(24, 1)) + plain_normalizer());
  EXPECT_EQ(s.normalize("a  b"), "a" + kSpace + "b" + kSpace);
}

TEST(SentencePieceModel, SelfTestSamplesAreRun) {
  const std::string good = bytes_field(4, bytes_field(1, bytes_field(1, "a b") + bytes_field(2, kSpace + "a " + kSpace + " b")));
  EXPECT_NO_THROW(parse(basic_pieces() + plain_normalizer() + good));
  const std::string bad = bytes_field(4, bytes_field(1, bytes_field(1, "a b") + bytes_field(2, kSpace + " a " + kSpace + " b")));
  const std::string e = refusal(basic_pieces() + plain_normalizer() + bad);
  EXPECT_NE(e.find("self_test_data.samples[0]"), std::string::npos) << e;
}

// ---- hostile files -----------------------------------------------------------------------------

TEST(SentencePieceModel, HostileModelsAreRefusedNamingTheFileAndField) {
  const std::string ok = basic_pieces() + plain_normalizer();
  std::string nan_score = piece("<unk>", 0, kUnknown) + piece("a", std::nanf(""));
  std::string two_unk = piece("<unk>", 0, kUnknown) + piece("<unk2>", 0, kUnknown) + piece("a", -1);
  std::string charsmap_big;  // declares a 1 GB trie in a 12-byte blob
  charsmap_big += std::string("\x00\x00\x00\x40", 4) + std::string(8, '\0');
  // A one-rule trie whose leaf points far outside the replacement strings: root offset 0 (unit 0),
  // child for 'a' at 0 ^ 'a' = 97 with label 'a', has_leaf, offset 0; leaf at 97 ^ 0 = 97 -> its
  // value (unit & 0x7fffffff) is the unit itself: 'a' | 1 << 8 = 353, past 2 bytes of strings.
  std::vector<std::uint32_t> units(128, 0);
  units[97] = 'a' | (1u << 8);
  std::string trie(reinterpret_cast<const char*>(units.data()), units.size() * 4);
  const std::uint32_t trie_bytes = static_cast<std::uint32_t>(trie.size());
  const std::string charsmap_bad = std::string(reinterpret_cast<const char*>(&trie_bytes), 4) + trie + std::string("x\0", 2);

  const struct {
    const char* name;
    std::string bytes;
    const char* expect;
  } cases[] = {
      {"empty file", "", "no pieces"},
      {"truncated", ok.substr(0, ok.size() / 2), "truncated"},
      {"a group wire type", ok + key(9, 3), "wire type 3"},
      {"length past the end", ok + key(1, 2) + varint(1000) + "ab", "field 1 is truncated (1000 bytes declared, 2 left)"},
      {"over-long varint", ok + key(9, 0) + std::string(11, '\xFF'), "over-long varint"},
      {"piece with wrong wire type", key(1, 0) + varint(5), "pieces has the wrong wire type"},
      {"NaN score", nan_score, "pieces[1]: score is not finite"},
      {"unknown piece type", ok + piece("c", -1, 9), "pieces[7]: type 9 is not a piece type"},
      {"empty piece", ok + piece("", -1), "pieces[7]: piece is empty"},
      {"huge piece", ok + piece(std::string(5000, 'c'), -1), "pieces[7]: piece is 5000 bytes"},
      {"repeated piece", ok + piece("a", -5), "repeats piece \"a\""},
      {"no unknown piece", piece("a", -1) + piece("b", -1), "no piece has the unknown type"},
      {"two unknown pieces", two_unk, "pieces[1] is a second unknown piece"},
      {"byte piece without byte_fallback", ok + piece("<0x41>", 0, kByte), "byte_fallback is off"},
      {"byte_fallback without byte pieces", ok + bytes_field(2, varint_field(35, 1)), "256 byte pieces"},
      {"malformed byte piece", ok + bytes_field(2, varint_field(35, 1)) + piece("<0xZZ>", 0, kByte),
       "\"<0xZZ>\" is not a byte piece"},
      {"word model", ok + bytes_field(2, varint_field(3, 3)), "trainer_spec: model_type 3 is not supported"},
      {"charsmap larger than itself", ok + bytes_field(3, bytes_field(2, charsmap_big)),
       "normalizer_spec.precompiled_charsmap"},
      {"charsmap pointing outside", ok + bytes_field(3, bytes_field(2, charsmap_bad)),
       "precompiled_charsmap points outside itself"},
      {"only control pieces", piece("<unk>", 0, kUnknown) + piece("</s>", 0, kControl), "no normal pieces"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string e = refusal(c.bytes);
    EXPECT_EQ(e.rfind("hand.model: ", 0), 0u) << e;
    EXPECT_NE(e.find(c.expect), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

TEST(SentencePieceModel, FilesAreNamedAndBounded) {
  const std::string dir = linvideo::test::temp_dir();
  EXPECT_THROW(SentencePieceModel::load(dir + "/absent.model"), Error);
  // A file over the size limit is refused before it is read (a sparse file: no disk used).
  const std::string big = dir + "/big.model";
  { std::ofstream(big).put('x'); }
  ASSERT_EQ(::truncate(big.c_str(), static_cast<off_t>(SentencePieceModel::kMaxFileBytes) + 1), 0);
  try {
    SentencePieceModel::load(big);
    FAIL() << "loaded an oversized file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(big), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bytes"), std::string::npos) << e.what();
  }
}

// ---- against spm_encode ------------------------------------------------------------------------

class SentencePieceAgainstSpmEncode : public ::testing::TestWithParam<const char*> {
 protected:
  static void SetUpTestSuite() {
    spm_train_ = find_on_path("spm_train");
    spm_encode_ = find_on_path("spm_encode");
    if (spm_train_.empty() || spm_encode_.empty()) return;
    dir_ = linvideo::test::temp_dir();
    // Words with characters NFKC rewrites (full-width, ligatures, roman numerals, compatibility forms).
    const char* words[] = {"a", "cat", "sits", "on", "red", "mat", "morning", "sun", "two", "dogs", "neon",
                           "waves", "caf\xC3\xA9", "na\xC3\xAFve", "\xE4\xB8\xAD\xE6\x96\x87",
                           "\xEF\xBD\x86\xEF\xBD\x95\xEF\xBD\x8C\xEF\xBD\x8C", "\xEF\xAC\x81ne", "\xE2\x85\xAB"};
    // Custom normalisation rules (hex code points, source TAB target): one to one, one to two,
    // two to one, and a rule that makes a space.
    std::ofstream(dir_ + "/rules.tsv") << "41\t61\n42\t62\nFF21\t61\n2163\t49 56\n63 61\t4B\n3000\t20\n";
    std::mt19937 rng(5);
    std::ofstream corpus(dir_ + "/corpus.txt");
    for (int i = 0; i < 3000; ++i) {
      const int n = 3 + static_cast<int>(rng() % 10);
      for (int w = 0; w < n; ++w) corpus << (w ? " " : "") << words[rng() % (sizeof words / sizeof *words)];
      corpus << "\n";
    }
  }

  // Trains a model with the given spm_train options (cached by name).
  static std::string model(const std::string& name, std::string options) {
    const std::string prefix = dir_ + "/" + name;
    if (const auto at = options.find("@RULES@"); at != std::string::npos) options.replace(at, 7, "'" + dir_ + "/rules.tsv'");
    if (::access((prefix + ".model").c_str(), R_OK) == 0) return prefix + ".model";
    const std::string cmd = "'" + spm_train_ + "' --input='" + dir_ + "/corpus.txt' --model_prefix='" + prefix +
                            "' --hard_vocab_limit=false " + options + " > '" + prefix +
                            ".log' 2>&1";
    if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "spm_train failed: " << linvideo::test::read_text_file(prefix + ".log");
    return prefix + ".model";
  }

  static std::string spm_train_, spm_encode_, dir_;
};
std::string SentencePieceAgainstSpmEncode::spm_train_, SentencePieceAgainstSpmEncode::spm_encode_,
    SentencePieceAgainstSpmEncode::dir_;

TEST_P(SentencePieceAgainstSpmEncode, SameIdsOnRandomText) {
  if (spm_train_.empty() || spm_encode_.empty()) GTEST_SKIP() << "spm_train/spm_encode not installed";
  const std::string options = GetParam();
  const std::string name = "m" + std::to_string(std::hash<std::string>{}(options) % 100000);
  const std::string path = model(name, options);
  const SentencePieceModel m = SentencePieceModel::load(path);

  // Random lines from characters that stress the normaliser and the segmentation; and raw bytes.
  const std::vector<std::string> atoms = {
      "a", "c", "t", "s", "n", "o", "e", "x", "Q", "7", " ", " ", "  ", "\t", ".", ",", "!", "&", "<", ">", "\"",
      "cat", "neon", "<sep>", "A", "B", "AB", "ca", "\xEF\xBC\xA1", "\xE2\x85\xA3", "\xC3\xA9", "\xC3\xAF", "\xE4\xB8\xAD", "\xEF\xBD\x86", "\xEF\xAC\x81", "\xE2\x85\xAB",
      "\xE2\x91\xA0", "\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\x8B", "\xEF\xBB\xBF", "\xF0\x9F\x99\x82", "\xC2\xAD",
      "\xC3\x9F", "\xEF\xBD\xB6\xEF\xBE\x9E", "\xCC\x81", "\xE2\x96\x81", "\xEF\xBF\xBD", "\xFF", "\x80", "\xC0\xAF",
      "\xED\xA0\x80", "\xE4\xB8", "\xF0\x9F"};
  std::mt19937 rng(11);
  std::vector<std::string> lines;
  for (int i = 0; i < 1500; ++i) {
    std::string line;
    const int n = static_cast<int>(rng() % 40);
    for (int k = 0; k < n; ++k) line += atoms[rng() % atoms.size()];
    lines.push_back(line);
  }
  {
    std::ofstream in(dir_ + "/" + name + ".in", std::ios::binary);
    for (const auto& l : lines) in << l << "\n";
  }
  const std::string cmd = "'" + spm_encode_ + "' --model='" + path + "' --output_format=id < '" + dir_ + "/" + name +
                          ".in' > '" + dir_ + "/" + name + ".ids' 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream ids(dir_ + "/" + name + ".ids");
  std::size_t i = 0, differ = 0;
  for (std::string line; std::getline(ids, line); ++i) {
    ASSERT_LT(i, lines.size());
    std::vector<int> expected;
    std::stringstream s(line);
    for (int id; s >> id;) expected.push_back(id);
    if (m.encode(lines[i]) != expected && ++differ <= 3) {
      ADD_FAILURE() << "line " << i << " \"" << lines[i] << "\": spm_encode " << line;
    }
  }
  EXPECT_EQ(i, lines.size());
  EXPECT_EQ(differ, 0u);
}

INSTANTIATE_TEST_SUITE_P(
    NormaliserAndTrainerOptions, SentencePieceAgainstSpmEncode,
    ::testing::Values("--vocab_size=150",  // nmt_nfkc, the T5 default
                      "--vocab_size=420 --byte_fallback=true --user_defined_symbols='<sep>,\xE2\x96\x81" "cat,neon'",
                      "--vocab_size=150 --add_dummy_prefix=false --remove_extra_whitespaces=false",
                      "--vocab_size=150 --normalization_rule_name=identity",
                      "--vocab_size=150 --treat_whitespace_as_suffix=true",
                      "--vocab_size=150 --normalization_rule_tsv=@RULES@",
                      "--vocab_size=150 --normalization_rule_name=nmt_nfkc_cf --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1",
                      // BPE, as our shapes tokenizer trainer makes it, and with byte fallback and user symbols
                      "--vocab_size=150 --model_type=bpe --character_coverage=1.0 --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1",
                      "--vocab_size=420 --model_type=bpe --byte_fallback=true --user_defined_symbols='<sep>,neon'"));
