// The shapes tokenizer trainer: every prompt of the grammar must reach the DiT whole. The first
// tokenizer split words into letters and cut two-object prompts before their second object.
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/remove_tree.h"
#include "core/text/t5_tokenizer.h"
#include "core/train/pretrain.h"
#include "tests/support/test_support.h"

using namespace linvideo;

TEST(PretrainTokenizer, EveryGrammarWordIsOnePieceAndTwoObjectPromptsFit) {
  if (std::system("command -v spm_train > /dev/null 2>&1") != 0) GTEST_SKIP() << "spm_train not installed";
  const std::string dir = test::temp_dir() + "/tokenizer";
  train::pretrain_tokenizer(dir, {});
  const text::T5Tokenizer tok(dir + "/spiece.model");
  for (const char* word : {"large", "small", "magenta", "yellow", "triangle", "square", "circle", "moving",
                           "standing", "still", "background", "navy", "gray", "and"}) {
    EXPECT_EQ(tok.encode_raw(std::string("a ") + word).size(), 2u) << word;
  }
  // The longest prompt shape: two objects, the longest words in every slot.
  const std::string longest =
      "a large magenta triangle standing still and a small yellow triangle standing still on a navy background";
  const auto ids = tok.encode(longest, train::shapes_dit_config().text_len);
  EXPECT_EQ(ids.size(), 18u);  // 17 words + EOS, nothing cut
  // Words outside the grammar still encode (letters), rather than all becoming unk.
  EXPECT_GT(tok.encode_raw("a purple circle").size(), 2u);
  remove_tree(dir);
}
