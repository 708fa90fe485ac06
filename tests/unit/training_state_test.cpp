// Training checkpoints: atomic, and a resumed run continues exactly where the first one stopped.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <torch/optim/adamw.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/train/training_state.h"
#include "tests/support/test_support.h"

using namespace linvideo;

namespace {
// A few AdamW steps on a fixed quadratic; the data of step i depends only on i.
void run_steps(std::vector<std::pair<std::string, at::Tensor>>& w, torch::optim::AdamW& opt, int from, int to) {
  for (int step = from; step < to; ++step) {
    at::manual_seed(step);
    const at::Tensor target = at::randn({4, 3});
    const at::Tensor loss = (at::matmul(w[0].second, w[1].second) - target).pow(2).sum();
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
}
std::vector<std::pair<std::string, at::Tensor>> fresh() {
  at::manual_seed(123);
  return {{"a", at::randn({4, 5}).requires_grad_(true)}, {"b", at::randn({5, 3}).requires_grad_(true)}};
}
}  // namespace

TEST(TrainingState, ResumeReproducesTheUninterruptedRunExactly) {
  auto straight = fresh();
  torch::optim::AdamW opt1({straight[0].second, straight[1].second}, torch::optim::AdamWOptions(1e-2));
  run_steps(straight, opt1, 0, 6);

  const std::string dir = test::temp_dir() + "/run";
  auto first = fresh();
  torch::optim::AdamW opt2({first[0].second, first[1].second}, torch::optim::AdamWOptions(1e-2));
  run_steps(first, opt2, 0, 3);
  train::save_checkpoint(dir, 3, first, opt2, {{"note", "halfway"}});
  train::Progress p = train::read_progress(dir);
  EXPECT_EQ(p.step, 3);
  EXPECT_EQ(p.info.at("note"), "halfway");
  EXPECT_FALSE(std::filesystem::exists(dir + "/progress.json.tmp"));

  auto resumed = fresh();  // a new process: fresh weights and optimiser, then the checkpoint
  torch::optim::AdamW opt3({resumed[0].second, resumed[1].second}, torch::optim::AdamWOptions(1e-2));
  EXPECT_EQ(train::load_checkpoint(dir, p, resumed, opt3), "");
  run_steps(resumed, opt3, 3, 6);
  EXPECT_TRUE(at::equal(resumed[0].second, straight[0].second));
  EXPECT_TRUE(at::equal(resumed[1].second, straight[1].second));

  // Older checkpoints are pruned to the previous one.
  train::save_checkpoint(dir, 4, resumed, opt3, {});
  train::save_checkpoint(dir, 5, resumed, opt3, {});
  EXPECT_FALSE(std::filesystem::exists(dir + "/step-000003"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/step-000004"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/step-000005"));
}

// Issue 18: progress.json fields of the wrong type, out of range, or naming a checkpoint outside
// the run folder give one-line errors naming the file and the field.
TEST(TrainingState, HostileProgressFilesAreRefusedNamingTheField) {
  const std::string dir = test::temp_dir() + "/hostile_progress";
  std::filesystem::create_directories(dir);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"step": "8", "checkpoint": "step-000008"})", "'step'"},
      {R"({"step": -5, "checkpoint": "step-000008"})", "'step'"},
      {R"({"step": 1e30, "checkpoint": "step-000008"})", "'step'"},
      {R"({"step": 4, "checkpoint": "../other/step-000004"})", "'checkpoint'"},
      {R"({"step": 4, "checkpoint": "/etc"})", "'checkpoint'"},
      {R"({"step": 4, "checkpoint": 7})", "'checkpoint'"},
      {R"({"step": 4, "checkpoint": "step-000004", "info": [1]})", "'info'"},
      {R"({"step": 4, "checkpoint": "step-000004", "previous": 3})", "previous must be an object"},
      {R"({"step": 4, "checkpoint": "step-000004", "previous": {"step": 9, "checkpoint": "step-000009"}})",
       "previous: field 'step' must be between 0 and 4"},
      {R"({"step": 4, "checkpoint": "step-000004", "previous": {"step": 2, "checkpoint": ".."}})",
       "previous: field 'checkpoint'"},
  };
  for (const auto& [text, field] : cases) {
    SCOPED_TRACE(text);
    std::ofstream(dir + "/progress.json") << text;
    try {
      train::read_progress(dir);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(dir + "/progress.json"), std::string::npos) << what;
      EXPECT_NE(what.find(field), std::string::npos) << what;
    }
  }
}

// Issue 18: a truncated file in the newest checkpoint falls back to the kept one before it, says
// so naming the broken file, and the run continues exactly from that step.
TEST(TrainingState, BrokenNewestCheckpointFallsBackToThePreviousOne) {
  for (const std::string broken : {"weights.safetensors", "optimizer.pt"}) {
    SCOPED_TRACE(broken);
    auto straight = fresh();
    torch::optim::AdamW opt1({straight[0].second, straight[1].second}, torch::optim::AdamWOptions(1e-2));
    run_steps(straight, opt1, 0, 6);

    const std::string dir = test::temp_dir() + "/fallback_" + broken;
    auto first = fresh();
    torch::optim::AdamW opt2({first[0].second, first[1].second}, torch::optim::AdamWOptions(1e-2));
    run_steps(first, opt2, 0, 2);
    train::save_checkpoint(dir, 2, first, opt2, {{"at", "two"}});
    run_steps(first, opt2, 2, 4);
    train::save_checkpoint(dir, 4, first, opt2, {{"at", "four"}});
    const std::string file = dir + "/step-000004/" + broken;
    std::filesystem::resize_file(file, std::filesystem::file_size(file) / 2);  // a torn write

    train::Progress p = train::read_progress(dir);
    EXPECT_EQ(p.step, 4);
    auto resumed = fresh();
    torch::optim::AdamW opt3({resumed[0].second, resumed[1].second}, torch::optim::AdamWOptions(1e-2));
    const std::string note = train::load_checkpoint(dir, p, resumed, opt3);
    EXPECT_NE(note.find(file), std::string::npos) << note;
    EXPECT_EQ(note.find('\n'), std::string::npos) << note;
    EXPECT_EQ(p.step, 2);
    EXPECT_EQ(p.info.at("at"), "two");
    run_steps(resumed, opt3, 2, 6);
    EXPECT_TRUE(at::equal(resumed[0].second, straight[0].second));
    EXPECT_TRUE(at::equal(resumed[1].second, straight[1].second));
  }
}

// A run folder started with other options is refused, naming what differs with both values.
TEST(TrainingState, OtherOptionsAreRefusedNamingTheFieldAndBothValues) {
  const std::string dir = test::temp_dir() + "/claimed";
  std::filesystem::create_directories(dir);
  train::claim_run_config(dir, {{"lr", 0.001}, {"cache_digest", "aaaa"}}, 0, nlohmann::json::object());
  train::claim_run_config(dir, {{"lr", 0.001}, {"cache_digest", "aaaa"}}, 3, nlohmann::json::object());  // same: fine
  try {
    train::claim_run_config(dir, {{"lr", 0.001}, {"cache_digest", "bbbb"}}, 3, nlohmann::json::object());
    FAIL() << "accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cache_digest was \"aaaa\", now \"bbbb\""), std::string::npos) << what;
    EXPECT_EQ(what.find("lr"), std::string::npos) << what;  // only what differs
  }
}
