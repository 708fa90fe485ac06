// Prompt clean-up: double HTML unescape and whitespace collapsing, as Wan and diffusers do it.
#include "core/text/prompt_cleanup.h"

#include <gtest/gtest.h>

using linvideo::text::clean_prompt;
using linvideo::text::collapse_whitespace;
using linvideo::text::unescape_html;

TEST(PromptCleanup, UnescapesNamedAndNumericEntities) {
  EXPECT_EQ(unescape_html("a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&#39;"), "a & b <c> \"d\" 'e'");
  EXPECT_EQ(unescape_html("&#65;&#x42;&#X43;&#233;"), "ABC\xC3\xA9");
  EXPECT_EQ(unescape_html("&#x1F600;"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(unescape_html("&nbsp;"), "\xC2\xA0");
  EXPECT_EQ(unescape_html("&amp"), "&");           // legacy entity without ';'
  EXPECT_EQ(unescape_html("&#0;&#xD800;"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // invalid -> U+FFFD
  EXPECT_EQ(unescape_html("&unknown; & &# &#x;"), "&unknown; & &# &#x;");
}

TEST(PromptCleanup, UnescapesTwice) {
  EXPECT_EQ(unescape_html("&amp;lt;"), "&lt;");
  EXPECT_EQ(clean_prompt("&amp;lt;b&amp;gt; &amp;amp;"), "<b> &");
}

TEST(PromptCleanup, CollapsesWhitespaceRunsAndStrips) {
  EXPECT_EQ(collapse_whitespace("  a \t\n b\r\n\nc   "), "a b c");
  EXPECT_EQ(collapse_whitespace("a\xC2\xA0\xE3\x80\x80" "b"), "a b");  // U+00A0, U+3000
  EXPECT_EQ(collapse_whitespace(" \n\t "), "");
  EXPECT_EQ(collapse_whitespace("caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87"), "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87");
  EXPECT_EQ(collapse_whitespace("a\xA0" "b"), "a\xA0" "b");  // a stray byte is not U+00A0
  EXPECT_EQ(clean_prompt("  A cat&nbsp;&nbsp;on   a\tmat  "), "A cat on a mat");
}
