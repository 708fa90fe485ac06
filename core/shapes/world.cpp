#include "core/shapes/world.h"

#include <cstddef>

#include "core/error.h"

namespace linvideo::shapes {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}

// Small deterministic generator (the standard distributions differ between library versions).
struct SceneRng {
  std::uint64_t state;
  std::uint64_t next() { return state = splitmix64(state); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
};

// Walks the words of a prompt, naming the prompt and the position in every error.
class WordCursor {
 public:
  explicit WordCursor(const std::string& prompt) : prompt_(prompt) {
    std::size_t start = 0;
    while (start <= prompt.size()) {
      const std::size_t end = prompt.find(' ', start);
      words_.push_back(prompt.substr(start, end == std::string::npos ? end : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }

  bool at_end() const { return pos_ >= words_.size(); }
  const std::string& peek() const {
    static const std::string kEnd;
    return at_end() ? kEnd : words_[pos_];
  }
  void expect(const char* word) {
    if (peek() != word) fail(std::string("expected '") + word + "'");
    ++pos_;
  }
  template <typename Enum, std::size_t N>
  Enum take(const std::array<Enum, N>& values, const char* what) {
    for (Enum v : values) {
      const std::string name = to_string(v);
      const std::size_t space = name.find(' ');
      if (space == std::string::npos) {
        if (peek() == name) return ++pos_, v;
      } else if (peek() == name.substr(0, space) && pos_ + 1 < words_.size() &&
                 words_[pos_ + 1] == name.substr(space + 1)) {
        return pos_ += 2, v;
      }
    }
    fail(std::string("expected a ") + what);
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw Error("shapes prompt \"" + prompt_ + "\": " + why + " at word " +
                std::to_string(pos_ + 1) + (at_end() ? " (end of prompt)" : " ('" + peek() + "')") +
                "; grammar: a {size} {colour} {shape} {motion} [and a ...] on a {background} "
                "background");
  }

 private:
  std::string prompt_;
  std::vector<std::string> words_;
  std::size_t pos_ = 0;
};

ObjectSpec parse_object(WordCursor& words) {
  words.expect("a");
  ObjectSpec o;
  o.size = words.take(kSizes, "size (small, large)");
  o.colour = words.take(kColours, "colour (red, green, blue, yellow, white, magenta)");
  o.shape = words.take(kShapes, "shape (circle, square, triangle)");
  o.motion = words.take(kMotions, "motion (moving left|right|up|down, standing still)");
  return o;
}

void check_scene(const SceneSpec& scene, const std::string& what) {
  if (scene.objects.empty() || scene.objects.size() > 2) {
    throw Error(what + ": a shapes scene has one or two objects, not " +
                std::to_string(scene.objects.size()));
  }
  if (scene.objects.size() == 2 && scene.objects[0].colour == scene.objects[1].colour) {
    throw Error(what + ": the two objects must have different colours (both " +
                to_string(scene.objects[0].colour) + ")");
  }
}

}  // namespace

const char* to_string(Shape shape) {
  switch (shape) {
    case Shape::Circle:
      return "circle";
    case Shape::Square:
      return "square";
    case Shape::Triangle:
      return "triangle";
  }
  return "?";
}

const char* to_string(Colour colour) {
  switch (colour) {
    case Colour::Red:
      return "red";
    case Colour::Green:
      return "green";
    case Colour::Blue:
      return "blue";
    case Colour::Yellow:
      return "yellow";
    case Colour::White:
      return "white";
    case Colour::Magenta:
      return "magenta";
  }
  return "?";
}

const char* to_string(Size size) { return size == Size::Small ? "small" : "large"; }

const char* to_string(Motion motion) {
  switch (motion) {
    case Motion::Left:
      return "moving left";
    case Motion::Right:
      return "moving right";
    case Motion::Up:
      return "moving up";
    case Motion::Down:
      return "moving down";
    case Motion::Still:
      return "standing still";
  }
  return "?";
}

const char* to_string(Background background) {
  switch (background) {
    case Background::Black:
      return "black";
    case Background::Gray:
      return "gray";
    case Background::Navy:
      return "navy";
  }
  return "?";
}

// Saturated colours far apart in RGB, and from every background, so that classification by the
// nearest palette entry is unambiguous for the ground truth and forgiving for model output.
Rgb palette(Colour colour) {
  switch (colour) {
    case Colour::Red:
      return {230, 30, 30};
    case Colour::Green:
      return {30, 200, 40};
    case Colour::Blue:
      return {40, 90, 255};
    case Colour::Yellow:
      return {240, 220, 30};
    case Colour::White:
      return {245, 245, 245};
    case Colour::Magenta:
      return {220, 40, 220};
  }
  return {};
}

Rgb palette(Background background) {
  switch (background) {
    case Background::Black:
      return {0, 0, 0};
    case Background::Gray:
      return {128, 128, 128};
    case Background::Navy:
      return {10, 15, 100};
  }
  return {};
}

std::string to_prompt(const SceneSpec& scene) {
  check_scene(scene, "shapes scene");
  std::string prompt;
  for (std::size_t i = 0; i < scene.objects.size(); ++i) {
    const ObjectSpec& o = scene.objects[i];
    prompt += i == 0 ? "a " : " and a ";
    prompt += std::string(to_string(o.size)) + " " + to_string(o.colour) + " " +
              to_string(o.shape) + " " + to_string(o.motion);
  }
  return prompt + " on a " + to_string(scene.background) + " background";
}

SceneSpec parse_prompt(const std::string& prompt) {
  WordCursor words(prompt);
  SceneSpec scene;
  scene.objects.push_back(parse_object(words));
  if (words.peek() == "and") {
    words.expect("and");
    scene.objects.push_back(parse_object(words));
  }
  words.expect("on");
  words.expect("a");
  scene.background = words.take(kBackgrounds, "background (black, gray, navy)");
  words.expect("background");
  if (!words.at_end()) words.fail("unexpected trailing words");
  check_scene(scene, "shapes prompt \"" + prompt + "\"");
  return scene;
}

std::vector<SceneSpec> all_one_object_scenes() {
  std::vector<SceneSpec> scenes;
  for (Shape shape : kShapes)
    for (Colour colour : kColours)
      for (Size size : kSizes)
        for (Motion motion : kMotions)
          for (Background background : kBackgrounds)
            scenes.push_back(SceneSpec{{ObjectSpec{shape, colour, size, motion}}, background});
  return scenes;
}

SceneSpec sample_scene(std::uint64_t seed, double two_object_probability) {
  SceneRng rng{splitmix64(seed ^ 0x5EEDull)};
  auto object = [&rng] {
    ObjectSpec o;
    o.shape = kShapes[rng.below(kShapes.size())];
    o.colour = kColours[rng.below(kColours.size())];
    o.size = kSizes[rng.below(kSizes.size())];
    o.motion = kMotions[rng.below(kMotions.size())];
    return o;
  };
  SceneSpec scene;
  scene.background = kBackgrounds[rng.below(kBackgrounds.size())];
  scene.objects.push_back(object());
  if (rng.unit() < two_object_probability) {
    ObjectSpec second = object();
    while (second.colour == scene.objects[0].colour) second.colour = kColours[rng.below(6)];
    scene.objects.push_back(second);
  }
  return scene;
}

bool has_held_out_pair(const SceneSpec& scene) {
  for (const ObjectSpec& o : scene.objects) {
    if ((o.colour == Colour::Magenta && o.shape == Shape::Triangle) ||
        (o.colour == Colour::Yellow && o.shape == Shape::Square) ||
        (o.colour == Colour::Green && o.shape == Shape::Circle)) {
      return true;
    }
  }
  return false;
}

bool is_random_held_out(const std::string& prompt) {
  // 10% of 2^64, exactly representable: floor(2^64 / 10).
  constexpr std::uint64_t kThreshold = 0x1999999999999999ull;
  return splitmix64(fnv1a(prompt) ^ kHeldOutSeed) < kThreshold;
}

Split split_of(const SceneSpec& scene) {
  if (has_held_out_pair(scene)) return Split::HeldOutPair;
  return is_random_held_out(to_prompt(scene)) ? Split::HeldOutRandom : Split::Train;
}

bool is_held_out(const SceneSpec& scene) { return split_of(scene) != Split::Train; }

const char* to_string(Split split) {
  switch (split) {
    case Split::Train:
      return "train";
    case Split::HeldOutPair:
      return "held_out_pair";
    case Split::HeldOutRandom:
      return "held_out_random";
  }
  return "?";
}

}  // namespace linvideo::shapes
