#pragma once
// The "shapes" world (issue 4): a tiny procedural text-to-video world with known ground truth.
// This header is its vocabulary: the scene description, the exact prompt grammar and the
// held-out split. Rendering lives in render.h, scoring in evaluate.h.
//
// Grammar (exactly):
//   a {size} {colour} {shape} {motion} on a {background} background
//   a {size} {colour} {shape} {motion} and a {size} {colour} {shape} {motion} on a {background}
//   background                                  (two objects of different colours)
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace linvideo::shapes {

enum class Shape { Circle, Square, Triangle };
enum class Colour { Red, Green, Blue, Yellow, White, Magenta };
enum class Size { Small, Large };
enum class Motion { Left, Right, Up, Down, Still };
enum class Background { Black, Gray, Navy };

inline constexpr std::array<Shape, 3> kShapes{Shape::Circle, Shape::Square, Shape::Triangle};
inline constexpr std::array<Colour, 6> kColours{Colour::Red,    Colour::Green, Colour::Blue,
                                                Colour::Yellow, Colour::White, Colour::Magenta};
inline constexpr std::array<Size, 2> kSizes{Size::Small, Size::Large};
inline constexpr std::array<Motion, 5> kMotions{Motion::Left, Motion::Right, Motion::Up,
                                                Motion::Down, Motion::Still};
inline constexpr std::array<Background, 3> kBackgrounds{Background::Black, Background::Gray,
                                                        Background::Navy};

// Prompt words: "circle", "red", "small", "moving left" / "standing still", "navy".
const char* to_string(Shape shape);
const char* to_string(Colour colour);
const char* to_string(Size size);
const char* to_string(Motion motion);
const char* to_string(Background background);

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};
// The palette the renderer draws with and the evaluator classifies against.
Rgb palette(Colour colour);
Rgb palette(Background background);

struct ObjectSpec {
  Shape shape = Shape::Circle;
  Colour colour = Colour::Red;
  Size size = Size::Small;
  Motion motion = Motion::Still;
  bool operator==(const ObjectSpec& o) const {
    return shape == o.shape && colour == o.colour && size == o.size && motion == o.motion;
  }
};

struct SceneSpec {
  std::vector<ObjectSpec> objects;  // one or two, of different colours
  Background background = Background::Black;
  bool operator==(const SceneSpec& o) const {
    return objects == o.objects && background == o.background;
  }
};

// The prompt for `scene`. Throws linvideo::Error for a scene outside the world (0 or >2
// objects, two objects of the same colour).
std::string to_prompt(const SceneSpec& scene);

// Inverse of to_prompt; accepts exactly the grammar above (single spaces, lower case). Throws
// linvideo::Error quoting the prompt and the first word that does not fit.
SceneSpec parse_prompt(const std::string& prompt);

// All 540 one-object scenes (3 shapes x 6 colours x 2 sizes x 5 motions x 3 backgrounds), in
// grammar order (shape, colour, size, motion, background nested from the outside in).
std::vector<SceneSpec> all_one_object_scenes();

// A random scene; two objects with probability `two_object_probability`. Deterministic in seed.
SceneSpec sample_scene(std::uint64_t seed, double two_object_probability = 0.5);

// ---- the held-out split ----------------------------------------------------------------------
// A prompt is held out from all training when it
//   1. contains one of the colour-shape pairs magenta triangle, yellow square, green circle, or
//   2. falls in the random 10% of the remaining prompt strings: the 64-bit FNV-1a hash of the
//      prompt string, mixed with kHeldOutSeed by splitmix64, is below 10% of 2^64.
// The rule is a pure function of the string, so it covers the ~81 000 two-object prompts without
// a list; resources/shapes/heldout_prompts.txt lists its one-object result (a test keeps the two
// in step).
inline constexpr std::uint64_t kHeldOutSeed = 20250401;
bool has_held_out_pair(const SceneSpec& scene);
bool is_random_held_out(const std::string& prompt);
bool is_held_out(const SceneSpec& scene);

enum class Split { Train, HeldOutPair, HeldOutRandom };
Split split_of(const SceneSpec& scene);
const char* to_string(Split split);

}  // namespace linvideo::shapes
