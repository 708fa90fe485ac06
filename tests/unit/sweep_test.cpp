// The k-sweep (core/engine/sweep, issue 20): the evenly spread baseline, the Pareto front, and a
// small sweep of the embedded model: the teacher first, the ranked selection from the shipped
// sidecar's scores, PSNR against the teacher, the model left as it was, and the JSON/CSV tables.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/atomic_write.h"
#include "core/engine/sweep.h"
#include "core/error.h"
#include "core/pipeline/clip_tags.h"
#include "core/pipeline/model_loader.h"
#include "core/pipeline/text_to_video.h"
#include "tests/support/test_support.h"

using namespace linvideo;

TEST(Sweep, SpreadLayersAreDistinctEvenAndTakeTheFirstLayerLast) {
  EXPECT_EQ(engine::spread_layers(8, 0), std::vector<int>{});
  EXPECT_EQ(engine::spread_layers(8, 1), std::vector<int>{5});
  EXPECT_EQ(engine::spread_layers(8, 4), (std::vector<int>{2, 4, 5, 7}));
  EXPECT_EQ(engine::spread_layers(8, 7), (std::vector<int>{2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(engine::spread_layers(8, 8), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(engine::spread_layers(30, 16).size(), 16u);
  const auto wan = engine::spread_layers(30, 16);
  EXPECT_TRUE(std::is_sorted(wan.begin(), wan.end()));
  EXPECT_EQ(std::adjacent_find(wan.begin(), wan.end()), wan.end());
  EXPECT_GT(wan.front(), 1);
}

TEST(Sweep, ParetoKeepsOnlyPointsNoOtherBeatsOnBothAxes) {
  auto point = [](double eval, double speedup) {
    engine::SweepPoint p;
    p.eval = eval;
    p.predicted_speedup = speedup;
    return p;
  };
  std::vector<engine::SweepPoint> pts = {point(90, 1.0), point(89, 1.5), point(85, 1.4), point(80, 2.0), point(80, 1.9)};
  engine::mark_pareto(pts);
  EXPECT_TRUE(pts[0].pareto);
  EXPECT_TRUE(pts[1].pareto);
  EXPECT_FALSE(pts[2].pareto);  // 89 at 1.5 beats it on both
  EXPECT_TRUE(pts[3].pareto);
  EXPECT_FALSE(pts[4].pareto);  // same quality, slower
  // Without an eval on every point the front is by PSNR.
  pts[0].eval.reset();
  pts[0].psnr_vs_teacher = 100, pts[1].psnr_vs_teacher = 20, pts[2].psnr_vs_teacher = 30, pts[3].psnr_vs_teacher = 10,
  pts[4].psnr_vs_teacher = 10;
  engine::mark_pareto(pts);
  EXPECT_TRUE(pts[2].pareto);  // 30 dB at 1.4x: nothing is both better and faster now
  EXPECT_TRUE(pts[1].pareto);  // 20 dB at 1.5x: only slower points are better
  EXPECT_FALSE(pts[4].pareto);
}

TEST(Sweep, EmbeddedModelSweepRanksBySensitivityAndLeavesTheModelAsItWas) {
  engine::Engine eng;
  eng.load(engine::LoadRequest{});
  const auto modes_before = pipeline::attention_mode_names(eng.text_to_video().dit());
  engine::SweepRequest r;
  r.ks = {1, 0};
  r.prompts = {"a small red circle moving left on a black background"};
  r.seeds = 1, r.steps = 2, r.frames = 5;
  std::vector<int> seen;
  const engine::SweepResult result = engine::sweep(eng, r, [&](int done, int total, const std::string&) {
    seen.push_back(done);
    EXPECT_EQ(total, 4);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_EQ(pipeline::attention_mode_names(eng.text_to_video().dit()), modes_before);
  EXPECT_EQ(result.ranking_basis, "sensitivity");  // the shipped sidecar carries a scan
  ASSERT_EQ(result.points.size(), 4u);
  EXPECT_EQ(result.points[0].selection, "teacher");
  EXPECT_EQ(result.points[0].psnr_vs_teacher, 100.0);
  EXPECT_DOUBLE_EQ(result.points[0].predicted_speedup, 1.0);
  EXPECT_EQ(result.points[1].selection, "ranked");
  EXPECT_EQ(result.points[1].layers, std::vector<int>{1});  // layer 1 has the lowest shipped sensitivity
  EXPECT_EQ(result.points[2].selection, "spread");
  EXPECT_EQ(result.points[2].layers, std::vector<int>{5});
  EXPECT_EQ(result.points[3].selection, "current");  // the shipped sidecar's layers
  EXPECT_EQ(result.points[3].layers, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_TRUE(result.points[3].is_current);
  EXPECT_FALSE(result.points[1].is_current);
  for (std::size_t i = 1; i < 4; ++i) {
    EXPECT_GT(result.points[i].predicted_speedup, 1.0);
    EXPECT_GT(result.points[i].psnr_vs_teacher, 5.0);
    EXPECT_LT(result.points[i].psnr_vs_teacher, 100.0);  // a linear layer changes the clip
  }
#ifdef LINVIDEO_WITH_SHAPES  // the shapes-world eval
  for (const auto& p : result.points) EXPECT_TRUE(p.eval.has_value()) << p.selection;
#endif
  const auto j = nlohmann::json::parse(engine::sweep_json(result, r));
  EXPECT_EQ(j.at("format"), "linvideo-sweep");
  EXPECT_EQ(j.at("points").size(), 4u);
  EXPECT_EQ(j.at("points")[3].at("current"), true);
  EXPECT_EQ(j.at("points")[1].at("layers"), nlohmann::json::array({1}));
  const std::string csv = engine::sweep_csv(result);
  EXPECT_EQ(csv.rfind("selection,k,layers,eval,psnr_vs_teacher,predicted_speedup,seconds_per_clip,pareto,current\n", 0), 0u);
  EXPECT_NE(csv.find("ranked,1,\"1\","), std::string::npos) << csv;
  EXPECT_NE(csv.find("spread,1,\"5\","), std::string::npos) << csv;

  r.ks = {9};
  try {
    engine::sweep(eng, r);
    FAIL() << "k = 9 on an 8-layer model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--k 9"), std::string::npos) << e.what();
  }
  // Cancelling after the first clip returns what was finished, marked cancelled.
  r.ks = {1};
  r.current_point = false;
  const auto cancelled = engine::sweep(eng, r, [](int, int, const std::string&) { return false; });
  EXPECT_TRUE(cancelled.cancelled);
  EXPECT_TRUE(cancelled.points.empty());
  EXPECT_EQ(pipeline::attention_mode_names(eng.text_to_video().dit()), modes_before);
}

TEST(Sweep, JsonReadsBackAndHostileFilesNameTheField) {
  engine::SweepResult result;
  result.ranking_basis = "sensitivity";
  engine::SweepPoint a;
  a.selection = "teacher", a.eval = 90.5, a.psnr_vs_teacher = 100, a.pareto = true;
  engine::SweepPoint b;
  b.selection = "current", b.k = 2, b.layers = {1, 4}, b.psnr_vs_teacher = 25.5, b.predicted_speedup = 1.7;
  b.seconds_per_clip = 3.5, b.is_current = true;
  result.points = {a, b};
  const std::string dir = test::temp_dir();
  const std::string path = dir + "/sweep.json";
  write_text_atomically(path, engine::sweep_json(result, engine::SweepRequest{}));
  const engine::SweepResult back = engine::read_sweep_json(path);
  EXPECT_EQ(back.ranking_basis, "sensitivity");
  ASSERT_EQ(back.points.size(), 2u);
  EXPECT_EQ(back.points[0].selection, "teacher");
  EXPECT_EQ(back.points[0].eval, 90.5);
  EXPECT_TRUE(back.points[0].pareto);
  EXPECT_EQ(back.points[1].layers, (std::vector<int>{1, 4}));
  EXPECT_FALSE(back.points[1].eval.has_value());
  EXPECT_DOUBLE_EQ(back.points[1].predicted_speedup, 1.7);
  EXPECT_TRUE(back.points[1].is_current);

  auto error_of = [&](const std::string& text) {
    write_text_atomically(path, text);
    try {
      engine::read_sweep_json(path);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  const std::string good_point = R"({"selection":"ranked","k":1,"layers":[2],"psnr_vs_teacher":20,"predicted_speedup":1.2,"seconds_per_clip":1})";
  EXPECT_EQ(error_of(R"({"format":"linvideo-sweep","points":[)" + good_point + "]}"), "");
  EXPECT_NE(error_of("[1,2]").find(path), std::string::npos);
  EXPECT_NE(error_of(R"({"format":"other","points":[]})").find("'format'"), std::string::npos);
  EXPECT_NE(error_of(R"({"format":"linvideo-sweep"})").find("'points'"), std::string::npos);
  EXPECT_NE(error_of(R"({"format":"linvideo-sweep","points":[{"selection":"best","k":1,"layers":[]}]})").find("'selection'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"format":"linvideo-sweep","points":[{"selection":"ranked","k":1,"layers":[0]}]})").find("'layers'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"format":"linvideo-sweep","points":[{"selection":"ranked","k":-1,"layers":[]}]})").find("'k'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"format":"linvideo-sweep","points":[{"selection":"ranked","k":1,"layers":[1],"predicted_speedup":-2}]})")
                .find("'predicted_speedup'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"format":"linvideo-sweep","points":[{"selection":"ranked","k":1,"layers":[1],"pareto":"yes"}]})")
                .find("points[0]: field 'pareto'"),
            std::string::npos);
}

// A model folder without a sidecar has no maps: the sweep refuses at once, naming the layers and
// the way out, instead of fitting maps again for every clip.
TEST(Sweep, LayersWithoutMapsAreRefusedUpFront) {
  namespace fs = std::filesystem;
  const std::string dir = test::temp_dir() + "/no-sidecar";
  for (const auto& e : fs::recursive_directory_iterator(pipeline::default_model_dir())) {
    const fs::path rel = fs::relative(e.path(), pipeline::default_model_dir());
    if (e.path().filename().string().find(".linvideo.") != std::string::npos || rel == "sweep.json") continue;
    if (e.is_directory()) fs::create_directories(dir / rel);
    else fs::copy_file(e.path(), dir / rel);
  }
  engine::Engine eng;
  engine::LoadRequest load;
  load.folder = dir;
  eng.load(load);
  engine::SweepRequest r;
  r.ks = {2};
  r.prompts = {"a small red circle moving left on a black background"};
  r.seeds = 1, r.steps = 1, r.frames = 5;
  try {
    engine::sweep(eng, r);
    FAIL() << "swept layers without maps";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("have no linear maps"), std::string::npos) << what;
    EXPECT_NE(what.find("--save-sidecar"), std::string::npos) << what;
  }
}
