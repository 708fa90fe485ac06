// The shapes world's vocabulary: the exact prompt grammar and the held-out split.
#include "core/shapes/world.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <utility>

#include "core/error.h"

namespace linvideo::shapes {
namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') lines.push_back(line);
  }
  return lines;
}

TEST(ShapesWorld, OneObjectSpaceHas540DistinctPrompts) {
  const auto scenes = all_one_object_scenes();
  ASSERT_EQ(scenes.size(), 540u);
  std::set<std::string> prompts;
  for (const SceneSpec& s : scenes) prompts.insert(to_prompt(s));
  EXPECT_EQ(prompts.size(), 540u);
  EXPECT_EQ(to_prompt(scenes.front()), "a small red circle moving left on a black background");
}

TEST(ShapesWorld, GrammarRoundTrips) {
  for (const SceneSpec& s : all_one_object_scenes()) {
    const std::string p = to_prompt(s);
    EXPECT_EQ(parse_prompt(p), s) << p;
    EXPECT_EQ(to_prompt(parse_prompt(p)), p);
  }
  int two = 0;
  for (std::uint64_t seed = 0; seed < 2000; ++seed) {
    const SceneSpec s = sample_scene(seed);
    two += s.objects.size() == 2;
    const std::string p = to_prompt(s);
    EXPECT_EQ(to_prompt(parse_prompt(p)), p);
  }
  EXPECT_GT(two, 800);
  EXPECT_LT(two, 1200);
  const std::string p =
      "a large green square moving up and a small white triangle standing still on a navy "
      "background";
  const SceneSpec s = parse_prompt(p);
  ASSERT_EQ(s.objects.size(), 2u);
  EXPECT_EQ(s.objects[1].shape, Shape::Triangle);
  EXPECT_EQ(s.objects[1].motion, Motion::Still);
  EXPECT_EQ(s.background, Background::Navy);
  EXPECT_EQ(to_prompt(s), p);
}

TEST(ShapesWorld, RejectsMalformedPrompts) {
  const char* bad[] = {
      "",
      "a red circle moving left on a black background",            // no size
      "a small red circle moving left on a black",                 // no final word
      "a small red circle moving sideways on a black background",  // unknown motion
      "a small purple circle moving left on a black background",   // unknown colour
      "a small red circle moving left on a white background",      // not a background
      "A small red circle moving left on a black background",      // case
      "a small red circle  moving left on a black background",     // double space
      "a small red circle moving left on a black background ",     // trailing space
      "a small red circle moving left on a black background now",  // trailing word
      "a small red circle moving left and a large red square standing still on a gray background",
      "a small red circle moving left and a large blue square on a gray background",
      "a small red circle moving left and a small blue circle moving up and a small white circle "
      "moving up on a gray background",
  };
  for (const char* p : bad) {
    try {
      parse_prompt(p);
      ADD_FAILURE() << "accepted: " << p;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(std::string("\"") + p + "\""), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos);
    }
  }
  EXPECT_THROW(to_prompt(SceneSpec{}), Error);
}

TEST(ShapesWorld, HeldOutPairsAreAlwaysHeldOut) {
  for (std::uint64_t seed = 0; seed < 3000; ++seed) {
    const SceneSpec s = sample_scene(seed);
    bool pair = false;
    for (const ObjectSpec& o : s.objects) {
      pair |= (o.colour == Colour::Magenta && o.shape == Shape::Triangle) ||
              (o.colour == Colour::Yellow && o.shape == Shape::Square) ||
              (o.colour == Colour::Green && o.shape == Shape::Circle);
    }
    EXPECT_EQ(has_held_out_pair(s), pair);
    if (pair) {
      EXPECT_TRUE(is_held_out(s));
      EXPECT_EQ(split_of(s), Split::HeldOutPair);
    }
  }
}

TEST(ShapesWorld, RandomHeldOutIsAboutTenPercentOfTheRest) {
  int rest = 0, held = 0;
  for (const SceneSpec& s : all_one_object_scenes()) {
    if (has_held_out_pair(s)) continue;
    ++rest;
    held += is_held_out(s);
  }
  EXPECT_EQ(rest, 450);
  EXPECT_GE(held, 27);  // 10% +- ~3 sigma of a binomial(450, 0.1)
  EXPECT_LE(held, 63);
  rest = held = 0;
  for (std::uint64_t seed = 0; seed < 20000; ++seed) {
    const SceneSpec s = sample_scene(seed, 1.0);
    if (has_held_out_pair(s)) continue;
    ++rest;
    held += is_held_out(s);
  }
  EXPECT_NEAR(double(held) / rest, 0.10, 0.015);
}

TEST(ShapesWorld, CommittedListMatchesTheRule) {
  const std::string dir = LINVIDEO_SHAPES_RESOURCES;
  std::vector<std::string> expected;
  for (const SceneSpec& s : all_one_object_scenes()) {
    if (is_held_out(s)) expected.push_back(to_prompt(s));
  }
  EXPECT_EQ(read_lines(dir + "/heldout_prompts.txt"), expected);

  std::vector<std::string> train;
  for (const SceneSpec& s : all_one_object_scenes()) {
    if (!is_held_out(s)) train.push_back(to_prompt(s));
  }
  EXPECT_EQ(read_lines(dir + "/train_prompts.txt"), train);

  // Two-object samples: held out, and the two-object part of the DMD2 prompt set
  // (packaging/shapes-distill-results.sh), none held out.
  for (const auto& [file, held_out] : {std::pair{"heldout_two_object_sample.txt", true},
                                       std::pair{"train_two_object_sample.txt", false}}) {
    const auto two = read_lines(dir + "/" + file);
    EXPECT_GE(two.size(), 100u) << file;
    for (const std::string& p : two) {
      const SceneSpec s = parse_prompt(p);
      EXPECT_EQ(s.objects.size(), 2u) << file << ": " << p;
      EXPECT_EQ(is_held_out(s), held_out) << file << ": " << p;
    }
  }
}

TEST(ShapesWorld, SamplerIsDeterministic) {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    EXPECT_EQ(sample_scene(seed), sample_scene(seed));
  }
  EXPECT_FALSE(sample_scene(1, 1.0) == sample_scene(2, 1.0));
}

}  // namespace
}  // namespace linvideo::shapes
