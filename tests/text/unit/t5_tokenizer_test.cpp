// The T5 tokenizer against the independent `spm_encode` CLI on a SentencePiece model trained here
// with `spm_train` (Debian package `sentencepiece`), with T5's special ids: pad 0, EOS 1, unk 2.
#include "core/text/t5_tokenizer.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/text/prompt_cleanup.h"
#include "tests/support/test_support.h"

using namespace linvideo;

namespace {

// Full path of an executable on PATH, or "".
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const auto candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

std::string shell_quoted(const std::string& s) { return "'" + s + "'"; }

const std::vector<std::string> kPrompts = {
    "A cat sits on a red mat in the morning sun",
    "  Two dogs   run\tacross a\n green field.  ",
    "A &amp;amp; B &lt;quoted&gt; &quot;neon&quot; city at night",
    "caf\xC3\xA9 na\xC3\xAFve \xE4\xB8\xAD\xE6\x96\x87 zebra 42",  // characters the corpus lacks -> unk
    "slow motion, waves crashing on rocks, cinematic lighting",
    "",
};

class T5TokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    spm_train_ = find_on_path("spm_train");
    spm_encode_ = find_on_path("spm_encode");
    if (spm_train_.empty() || spm_encode_.empty()) return;
    dir_ = test::temp_dir();
    // A small deterministic corpus of prompt-like sentences.
    const char* subjects[] = {"a cat", "two dogs", "the city", "waves", "a red car", "an old man", "birds"};
    const char* verbs[] = {"sits on", "runs across", "glows over", "crashes into", "drives past", "walks by"};
    const char* objects[] = {"a mat", "the green field", "neon lights", "rocks", "the morning sun", "a river"};
    const char* styles[] = {"cinematic lighting", "slow motion", "at night", "in the rain", "4k, detailed"};
    std::ofstream corpus(dir_ + "/corpus.txt");
    for (int i = 0; i < 3000; ++i) {
      corpus << subjects[i % 7] << " " << verbs[(i / 7) % 6] << " " << objects[(i / 42) % 6] << ", "
             << styles[(i * 13) % 5] << ". Quoted <\"" << i % 97 << "\"> & more!\n";
    }
    corpus.close();
    model_ = dir_ + "/tiny.model";
    const std::string command = shell_quoted(spm_train_) + " --input=" + shell_quoted(dir_ + "/corpus.txt") +
                                " --model_prefix=" + shell_quoted(dir_ + "/tiny") +
                                " --vocab_size=200 --model_type=unigram --hard_vocab_limit=false"
                                " --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 > " +
                                shell_quoted(dir_ + "/train.log") + " 2>&1";
    if (std::system(command.c_str()) != 0 || !std::filesystem::exists(model_)) {
      train_error_ = "spm_train failed: " + test::read_text_file(dir_ + "/train.log");
    }
  }

  void SetUp() override {
    if (spm_train_.empty() || spm_encode_.empty()) GTEST_SKIP() << "spm_train/spm_encode not installed";
    ASSERT_TRUE(train_error_.empty()) << train_error_;
  }

  // The independent reference: spm_encode's ids for each line (already cleaned), EOS appended.
  static std::vector<std::vector<std::int64_t>> reference_ids(const std::vector<std::string>& lines) {
    {
      std::ofstream in(dir_ + "/input.txt");
      for (const auto& line : lines) in << line << "\n";
    }
    const std::string command = shell_quoted(spm_encode_) + " --model=" + shell_quoted(model_) +
                                " --output_format=id < " + shell_quoted(dir_ + "/input.txt") + " > " +
                                shell_quoted(dir_ + "/ids.txt") + " 2>/dev/null";
    EXPECT_EQ(std::system(command.c_str()), 0);
    std::vector<std::vector<std::int64_t>> out;
    std::ifstream ids(dir_ + "/ids.txt");
    for (std::string line; std::getline(ids, line);) {
      std::vector<std::int64_t> row;
      std::stringstream s(line);
      for (std::int64_t id; s >> id;) row.push_back(id);
      row.push_back(1);
      out.push_back(row);
    }
    return out;
  }

  static std::string spm_train_, spm_encode_, dir_, model_, train_error_;
};
std::string T5TokenizerTest::spm_train_, T5TokenizerTest::spm_encode_, T5TokenizerTest::dir_,
    T5TokenizerTest::model_, T5TokenizerTest::train_error_;

}  // namespace

TEST_F(T5TokenizerTest, MatchesSpmEncodeWithEosAppended) {
  const text::T5Tokenizer tokenizer(model_);
  EXPECT_EQ(tokenizer.pad_id(), 0);
  EXPECT_EQ(tokenizer.eos_id(), 1);
  EXPECT_GT(tokenizer.vocab_size(), 50);
  std::vector<std::string> cleaned;
  for (const auto& p : kPrompts) cleaned.push_back(text::clean_prompt(p));
  const auto expected = reference_ids(cleaned);
  ASSERT_EQ(expected.size(), kPrompts.size());
  for (std::size_t i = 0; i < kPrompts.size(); ++i) {
    SCOPED_TRACE(kPrompts[i]);
    EXPECT_EQ(tokenizer.encode(kPrompts[i], 512), expected[i]);
  }
  // The unseen characters of prompt 3 map to unk (2) somewhere.
  const auto unseen = tokenizer.encode(kPrompts[3], 512);
  EXPECT_NE(std::find(unseen.begin(), unseen.end(), 2), unseen.end());
  EXPECT_EQ(tokenizer.encode("", 512), std::vector<std::int64_t>{1});
}

TEST_F(T5TokenizerTest, CleansHtmlAndWhitespaceBeforeTokenizing) {
  const text::T5Tokenizer tokenizer(model_);
  EXPECT_EQ(tokenizer.encode("a cat &amp;amp; &lt;a dog&gt;", 64), tokenizer.encode("a cat & <a dog>", 64));
  EXPECT_EQ(tokenizer.encode(" \t a   cat \n\n on\ta mat  ", 64), tokenizer.encode("a cat on a mat", 64));
  EXPECT_NE(tokenizer.encode_raw("a &amp; b"), tokenizer.encode_raw("a & b"));  // raw: no clean-up
}

TEST_F(T5TokenizerTest, TruncationKeepsEosLast) {
  const text::T5Tokenizer tokenizer(model_);
  const std::string prompt = "a cat sits on a mat and two dogs run across the green field at night";
  const auto raw = tokenizer.encode_raw(prompt);
  ASSERT_GT(raw.size(), 8u);
  const auto ids = tokenizer.encode(prompt, 8);
  ASSERT_EQ(ids.size(), 8u);
  EXPECT_EQ(ids.back(), 1);
  EXPECT_EQ(std::vector<std::int64_t>(ids.begin(), ids.end() - 1), std::vector<std::int64_t>(raw.begin(), raw.begin() + 7));
  EXPECT_EQ(tokenizer.encode(prompt, 1), std::vector<std::int64_t>{1});
  EXPECT_THROW(tokenizer.encode(prompt, 0), Error);
}

TEST_F(T5TokenizerTest, BatchIsPaddedWithZerosAndMasked) {
  const text::T5Tokenizer tokenizer(model_);
  const std::vector<std::string> prompts = {"a cat", "two dogs run across the green field at night", ""};
  const auto batch = tokenizer.encode_batch(prompts, 16);
  ASSERT_EQ(batch.ids.sizes(), (std::vector<std::int64_t>{3, 16}));
  ASSERT_EQ(batch.mask.sizes(), batch.ids.sizes());
  EXPECT_EQ(batch.ids.scalar_type(), at::kLong);
  ASSERT_EQ(batch.lengths.size(), 3u);
  for (std::size_t b = 0; b < prompts.size(); ++b) {
    const auto i = static_cast<std::int64_t>(b);
    const auto ids = tokenizer.encode(prompts[b], 16);
    const auto n = static_cast<std::int64_t>(ids.size());
    EXPECT_EQ(batch.lengths[b], n);
    EXPECT_TRUE(batch.ids[i].narrow(0, 0, n).equal(at::tensor(ids, at::kLong)));
    EXPECT_EQ(batch.ids[i][n - 1].item<std::int64_t>(), 1);
    EXPECT_EQ(batch.mask[i].sum().item<std::int64_t>(), n);
    EXPECT_EQ(batch.mask[i].narrow(0, 0, n).min().item<std::int64_t>(), 1);
    if (n < 16) {
      EXPECT_EQ(batch.ids[i].narrow(0, n, 16 - n).abs().sum().item<std::int64_t>(), 0);
      EXPECT_EQ(batch.mask[i].narrow(0, n, 16 - n).abs().sum().item<std::int64_t>(), 0);
    }
  }
}

TEST(T5TokenizerFiles, MissingModelNamesTheFile) {
  const std::string path = test::temp_dir() + "/absent/spiece.model";
  try {
    text::T5Tokenizer tokenizer(path);
    FAIL() << "loaded a missing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(T5TokenizerFiles, CorruptModelNamesTheFile) {
  const std::string path = test::temp_dir() + "/spiece.model";
  std::ofstream(path) << "this is not a sentencepiece model \x01\x02\x03";
  try {
    text::T5Tokenizer tokenizer(path);
    FAIL() << "loaded a corrupt file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}
