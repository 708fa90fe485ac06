#pragma once
// A SentencePiece unigram model (`spiece.model`) read and applied by our own code: the protobuf is
// parsed field by field with bounds on every size, the normaliser's precompiled character map (a
// darts-clone double array) is walked with every index checked, and encoding is the unigram
// Viterbi search (T5, umT5) or the BPE merge loop (our shapes tokenizer) of SentencePiece 0.1.97
// (the version Debian ships, and the one the tests compare against with `spm_encode`).
//
// Why not libsentencepiece: it bundles a protobuf that clashes with LibTorch's, which forced a
// dlopen(RTLD_DEEPBIND) shim that AddressSanitizer refuses; and a hostile model file is better
// refused by code that can be fuzzed on its own. Plain C++, no LibTorch: see
// tests/fuzz/fuzz_sentencepiece_model.cpp.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace linvideo::text {

class SentencePieceModel {
 public:
  // Limits that no real model comes near (umT5: 256,384 pieces, 4.55 MB) but that bound the memory
  // a hostile file can claim.
  static constexpr std::size_t kMaxFileBytes = 256u << 20;
  static constexpr std::size_t kMaxPieces = 4u << 20;
  static constexpr std::size_t kMaxPieceBytes = 4096;

  // Parses a serialised ModelProto. `label` names the file in errors (Error, one line).
  static SentencePieceModel parse(std::string_view bytes, const std::string& label);
  // Reads and parses a file; a missing, oversized or corrupt file is an Error naming it.
  static SentencePieceModel load(const std::string& path);

  std::int64_t vocab_size() const { return static_cast<std::int64_t>(pieces_.size()); }
  // As SentencePieceProcessor: the id of the pad / EOS piece when it is a control piece, else -1.
  int pad_id() const { return pad_id_; }
  int eos_id() const { return eos_id_; }
  int unk_id() const { return unk_id_; }
  bool byte_fallback() const { return byte_fallback_; }
  const std::string& piece(int id) const { return pieces_.at(static_cast<std::size_t>(id)).text; }

  // The normalised text (NFKC-style rules from the model, whitespace handling, U+2581 for spaces).
  std::string normalize(std::string_view text) const;
  // Ids of `text` exactly as SentencePieceProcessor::Encode: normalise, unigram Viterbi, runs of
  // unknown characters merged into one unk id (or split into byte pieces with byte fallback).
  std::vector<int> encode(std::string_view text) const;
  // The pieces (surface strings in the normalised text) of the best segmentation, for self-tests.
  std::vector<std::string> encode_pieces(std::string_view text) const;

 private:
  enum class Type : std::uint8_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };
  struct Piece {
    std::string text;
    float score = 0.0f;
    Type type = Type::Normal;
  };
  struct Segment {
    std::size_t begin = 0, end = 0;  // byte range in the normalised text
    int id = -1;
  };

  void build(const std::string& label);
  // Longest normalisation rule matching a prefix of `text`: its length and replacement, or length 0.
  std::size_t charsmap_match(std::string_view text, std::string_view* replacement) const;
  // Longest user-defined symbol at the start of `text` (0 when none).
  std::size_t user_symbol_match(std::string_view text) const;
  // Calls f(id, length), shortest first, for every piece of `sorted` that is a prefix of text.
  template <typename F>
  void for_each_prefix_piece(const std::vector<int>& sorted, std::string_view text, F&& f) const;
  std::vector<Segment> viterbi(std::string_view normalized) const;  // unigram
  std::vector<Segment> bpe(std::string_view normalized) const;
  std::vector<Segment> segment(std::string_view normalized) const;  // the model's algorithm
  int piece_id(std::string_view text) const;      // exact lookup among all pieces, -1 when absent
  int matchable_id(std::string_view text) const;  // exact lookup among normal, user-defined, unused

  std::string label_;
  std::vector<Piece> pieces_;
  std::vector<int> sorted_;       // matchable piece ids, ordered by their bytes (unsigned)
  std::vector<int> by_text_;      // every piece id, ordered by bytes, for exact lookup
  std::vector<int> user_sorted_;  // user-defined piece ids, ordered by bytes
  std::vector<int> byte_ids_;     // <0xXX> piece per byte value, with byte fallback
  int unk_id_ = -1, pad_id_ = -1, eos_id_ = -1;
  float min_score_ = 0.0f, max_score_ = 0.0f;
  bool byte_fallback_ = false;
  bool bpe_ = false;  // trainer_spec.model_type BPE (our shapes tokenizer) instead of unigram (T5)
  bool treat_whitespace_as_suffix_ = false;
  bool add_dummy_prefix_ = true;
  bool remove_extra_whitespaces_ = true;
  bool escape_whitespaces_ = true;
  std::string unk_piece_ = "<unk>", eos_piece_ = "</s>", pad_piece_ = "<pad>";
  std::vector<std::uint32_t> trie_;  // the double array of the character map
  std::string replacements_;         // NUL-separated replacement strings, NUL-terminated
  struct SelfTest {
    std::string input, expected;
  };
  std::vector<SelfTest> self_tests_;
};

}  // namespace linvideo::text
