// Model folders end to end: a diffusers-layout folder assembled from the golden parts plus a DiT
// written by our own exporter, loaded through the same code as a real Wan download; and broken
// folders, each of which must fail with a message naming what is wrong.
#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/engine/engine.h"
#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/prompts_file.h"
#include "core/io/safetensors.h"
#include "core/method/sidecar.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/clip_tags.h"
#include "core/pipeline/model_loader.h"
#include "core/remove_tree.h"
#include "tests/support/test_support.h"

namespace fs = std::filesystem;
using namespace linvideo;
using test::golden_dir;

namespace {

constexpr std::int64_t kTextDim = 64;  // umt5_tiny's width

model::DitConfig tiny_dit_config() {
  model::DitConfig c;
  c.dim = 32, c.ffn_dim = 64, c.num_heads = 2, c.num_layers = 2, c.text_dim = kTextDim, c.text_len = 16;
  return c;
}

void write_json(const fs::path& path, const nlohmann::json& j) { std::ofstream(path) << j.dump(2); }

bool have_spm_train() { return std::system("command -v spm_train > /dev/null 2>&1") == 0; }

// transformer/ (random DiT, diffusers names), vae/ and text_encoder/ (golden), tokenizer/ (trained).
std::string make_diffusers_folder(bool with_text) {
  const fs::path root = test::temp_dir();
  fs::create_directories(root / "transformer");
  fs::create_directories(root / "vae");
  const auto config = tiny_dit_config();
  const auto dit = model::WanDiT::random(config, {}, 11);
  const io::DitKeyMap diffusers{io::DitDialect::Diffusers, ""};
  std::vector<std::pair<std::string, at::Tensor>> weights;
  for (const auto& [name, t] : dit->named_weights()) weights.emplace_back(diffusers.to_stored(name), t);
  io::write_safetensors((root / "transformer" / "diffusion_pytorch_model.safetensors").string(), weights);
  write_json(root / "transformer" / "config.json",
             {{"num_attention_heads", 2}, {"attention_head_dim", 16}, {"in_channels", 16}, {"out_channels", 16},
              {"text_dim", kTextDim}, {"ffn_dim", 64}, {"num_layers", 2}, {"text_len", 16}});
  fs::copy_file(golden_dir() + "/vae_tiny.diffusers.safetensors", root / "vae" / "diffusion_pytorch_model.safetensors");
  const auto vae_cfg = nlohmann::json::parse(test::read_text_file(golden_dir() + "/vae_tiny.config.json"));
  write_json(root / "vae" / "config.json", vae_cfg.at("diffusers"));
  write_json(root / "model_index.json", {{"_class_name", "WanPipeline"}});
  if (with_text) {
    fs::create_directories(root / "text_encoder");
    fs::create_directories(root / "tokenizer");
    fs::copy_file(golden_dir() + "/umt5_tiny.hf.safetensors", root / "text_encoder" / "model.safetensors");
    fs::copy_file(golden_dir() + "/umt5_tiny.config.json", root / "text_encoder" / "config.json");
    std::ofstream corpus(root / "corpus.txt");
    for (int i = 0; i < 200; ++i) corpus << "a small red circle moving left number " << i << " on a black background\n";
    corpus.close();
    const std::string cmd = "spm_train --input=" + (root / "corpus.txt").string() + " --model_prefix=" +
                            (root / "tokenizer" / "spiece").string() +
                            " --vocab_size=100 --hard_vocab_limit=false --model_type=unigram --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1"
                            " --minloglevel=2 > /dev/null 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
  return root.string();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ModelFolder, DiffusersFolderWithTextEncoderGeneratesDeterministically) {
  if (!have_spm_train()) GTEST_SKIP() << "spm_train (Debian package sentencepiece) not installed";
  const std::string dir = make_diffusers_folder(/*with_text=*/true);
  const auto src = pipeline::resolve_model_folder(dir);
  EXPECT_EQ(src.layout, "diffusers folder");
  const auto policy = pipeline::RuntimePolicy::make("cpu", "fp32");
  auto dit = pipeline::load_dit(src.dit, policy);
  auto vae = pipeline::load_vae(src.vae, policy);
  auto text = pipeline::load_prompt_encoder(src, policy, dit->config().text_len);
  pipeline::TextToVideo t2v(dit, vae, text);
  pipeline::GenerationSettings s;
  s.prompt = "a small red circle moving left on a black background";
  s.steps = 2, s.frames = 9, s.height = 32, s.width = 48, s.seed = 5;
  const auto first = t2v.generate(s);
  ASSERT_EQ(first.sampling.status, pipeline::Status::Completed);
  ASSERT_EQ(first.video.sizes(), (std::vector<std::int64_t>{9, 3, 32, 48}));
  EXPECT_GE(first.video.min().item<float>(), 0.0f);
  EXPECT_LE(first.video.max().item<float>(), 1.0f);
  EXPECT_TRUE(at::equal(t2v.generate(s).video, first.video));  // same seed, same clip
  s.prompt = "a large blue square moving up on a gray background";
  EXPECT_FALSE(at::equal(t2v.generate(s).video, first.video));  // the prompt matters
}

TEST(ModelFolder, CliGeneratesFromAFolderAndCtrlCCancelsCleanly) {
  if (!have_spm_train()) GTEST_SKIP() << "spm_train (Debian package sentencepiece) not installed";
  const std::string dir = make_diffusers_folder(true);
  const std::string out = dir + "/clip.y4m";
  const std::string base = std::string(LINVIDEO_CLI) + " generate --model " + dir +
                           " -p 'a small red circle moving left on a black background' --frames 9 --height 32 --width 48";
  ASSERT_EQ(std::system((base + " --steps 2 --out " + out + " > /dev/null 2>&1").c_str()), 0);
  EXPECT_TRUE(fs::exists(out));
  // A very long run interrupted by SIGINT: exit 130, a message, latents kept, no clip written.
  const std::string cancelled = dir + "/cancelled.y4m", latents = dir + "/latents.safetensors";
  const std::string cmd = "timeout --preserve-status -s INT 6 " + base + " --steps 100000 --out " + cancelled +
                          " --save-latents " + latents + " 2> " + dir + "/stderr.txt > /dev/null";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_NE(test::read_text_file(dir + "/stderr.txt").find("cancelled after step"), std::string::npos)
      << test::read_text_file(dir + "/stderr.txt");
  EXPECT_FALSE(fs::exists(cancelled));
  EXPECT_TRUE(fs::exists(latents));
}

TEST(ModelFolder, BrokenFoldersGiveClearErrors) {
  const auto policy = pipeline::RuntimePolicy::make("cpu", "fp32");
  // Missing part.
  {
    const std::string dir = make_diffusers_folder(false);
    remove_tree(dir + "/vae");
    const std::string msg = error_of([&] { pipeline::resolve_model_folder(dir); });
    EXPECT_NE(msg.find(dir + "/vae"), std::string::npos) << msg;
  }
  // Missing file inside a part.
  {
    const std::string dir = make_diffusers_folder(false);
    fs::remove(fs::path(dir) / "vae" / "diffusion_pytorch_model.safetensors");
    const std::string msg = error_of([&] { pipeline::load_vae(pipeline::resolve_model_folder(dir).vae, policy); });
    EXPECT_NE(msg.find("vae"), std::string::npos) << msg;
    EXPECT_NE(msg.find("no .safetensors"), std::string::npos) << msg;
  }
  // Mismatched dims: the config says one width, the weights another.
  {
    const std::string dir = make_diffusers_folder(false);
    write_json(fs::path(dir) / "transformer" / "config.json",
               {{"num_attention_heads", 2}, {"attention_head_dim", 24}, {"num_layers", 2}, {"ffn_dim", 64}});
    const std::string msg = error_of([&] { pipeline::load_dit(dir + "/transformer", policy); });
    EXPECT_NE(msg.find("config.json"), std::string::npos) << msg;
    EXPECT_NE(msg.find("disagrees"), std::string::npos) << msg;
  }
  // Text encoder and DiT of different widths.
  {
    auto dit = model::WanDiT::random(tiny_dit_config(), {}, 1);
    auto vae_src = pipeline::resolve_model_folder(make_diffusers_folder(false));
    auto vae = pipeline::load_vae(vae_src.vae, policy);
    auto wrong_text = std::make_shared<pipeline::HashedPromptEncoder>(48, 8);
    const std::string msg = error_of([&] { pipeline::TextToVideo(std::move(dit), vae, wrong_text); });
    EXPECT_NE(msg.find("48"), std::string::npos) << msg;
    EXPECT_NE(msg.find("text_dim 64"), std::string::npos) << msg;
  }
  // Wrong dtype: an integer tensor where a float weight belongs.
  {
    const std::string dir = make_diffusers_folder(false);
    const std::string file = dir + "/transformer/diffusion_pytorch_model.safetensors";
    const io::Checkpoint ckpt = io::Checkpoint::open(file);
    std::vector<std::pair<std::string, at::Tensor>> weights;
    for (const auto& k : ckpt.keys()) {
      at::Tensor t = ckpt.tensor(k).clone();
      if (k == "proj_out.weight") t = t.to(at::kLong);
      weights.emplace_back(k, t);
    }
    io::write_safetensors(file, weights);
    const std::string msg = error_of([&] { pipeline::load_dit(dir + "/transformer", policy); });
    EXPECT_NE(msg.find("proj_out.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not floating point"), std::string::npos) << msg;
  }
  // A missing weight.
  {
    const std::string dir = make_diffusers_folder(false);
    const std::string file = dir + "/transformer/diffusion_pytorch_model.safetensors";
    const io::Checkpoint ckpt = io::Checkpoint::open(file);
    std::vector<std::pair<std::string, at::Tensor>> weights;
    for (const auto& k : ckpt.keys()) {
      if (k != "blocks.1.attn2.to_k.weight") weights.emplace_back(k, ckpt.tensor(k).clone());
    }
    io::write_safetensors(file, weights);
    const std::string msg = error_of([&] { pipeline::load_dit(dir + "/transformer", policy); });
    EXPECT_NE(msg.find("blocks.1.attn2.to_k.weight"), std::string::npos) << msg;
  }
}

// The VAE decodes in fp32 on the CPU; on CUDA it follows the DiT's dtype and runs channels-last.
TEST(RuntimePolicy, VaeIsFp32OnTheCpuAndFollowsTheDitOnCuda) {
  const auto cpu = pipeline::RuntimePolicy::make("cpu", "bf16");
  EXPECT_EQ(cpu.vae_dtype, at::kFloat);
  EXPECT_FALSE(cpu.vae_channels_last);
  EXPECT_NE(cpu.describe().find("VAE fp32"), std::string::npos) << cpu.describe();
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device for the rest";
  const auto gpu = pipeline::RuntimePolicy::make("cuda", "auto");
  EXPECT_EQ(gpu.vae_dtype, at::kBFloat16);
  EXPECT_TRUE(gpu.vae_channels_last);
  EXPECT_NE(gpu.describe().find("VAE bf16 channels-last"), std::string::npos) << gpu.describe();
  EXPECT_EQ(pipeline::RuntimePolicy::make("cuda", "fp32").vae_dtype, at::kFloat);
}

// The embedded shapes model loads through the same loader as a real Wan folder, and a seed
// fully determines the clip.
TEST(EmbeddedModel, LoadsThroughTheLoaderAndIsDeterministic) {
  const std::string dir = pipeline::default_model_dir();
  const auto src = pipeline::resolve_model_folder(dir);
  EXPECT_EQ(src.layout, "diffusers folder");
  const auto policy = pipeline::RuntimePolicy::make("cpu", "auto");
  auto t2v = pipeline::load_text_to_video(src, policy);
  pipeline::GenerationSettings s = pipeline::model_defaults(dir, pipeline::GenerationSettings{});
  EXPECT_EQ(s.frames, 17);
  EXPECT_FALSE(s.use_default_negative);
  s.prompt = "a large red circle moving left on a black background";
  s.steps = 2;
  s.seed = 9;
  const at::Tensor a = t2v->generate(s).video;
  ASSERT_EQ(a.sizes(), (std::vector<std::int64_t>{17, 3, 128, 128}));
  EXPECT_TRUE(at::equal(t2v->generate(s).video, a));
  s.seed = 10;
  EXPECT_FALSE(at::equal(t2v->generate(s).video, a));
}

// The shipped LinVideo sidecar of the embedded model: half of its layers linear, each with its
// maps, and it changes what the model computes.
TEST(EmbeddedModel, ShipsALinVideoSidecarWithHalfItsLayersLinear) {
  const std::string dir = pipeline::default_model_dir();
  const std::string sidecar = dir + "/shapes.linvideo.safetensors";
  ASSERT_TRUE(std::filesystem::exists(sidecar)) << sidecar;
  auto dit = pipeline::load_dit(pipeline::resolve_model_folder(dir).dit, pipeline::RuntimePolicy::make("cpu", "auto"));
  at::manual_seed(4);
  const at::Tensor x = at::randn({1, 16, 5, 16, 16}), t = at::full({1}, 700.0), ctx = at::randn({1, 8, 64});
  const at::Tensor teacher = dit->forward(x, t, ctx);
  method::load_sidecar(sidecar, *dit);
  int linear = 0;
  for (std::int64_t l = 0; l < dit->num_layers(); ++l) {
    const auto& st = dit->attention_state(l);
    if (st.mode == model::AttentionMode::Linear) {
      ++linear;
      EXPECT_TRUE(st.has_linear_branch()) << "layer " << l + 1;
    }
  }
  EXPECT_EQ(linear, dit->num_layers() / 2);
  const at::Tensor student = dit->forward(x, t, ctx);
  const double rel = ((student - teacher).norm() / teacher.norm()).item<double>();
  EXPECT_GT(rel, 1e-4);  // the linear layers are really used
  EXPECT_LT(rel, 0.5);   // and stay close to the teacher
}

// A prompt longer than the text encoder reads is cut (as the reference does), with a warning that
// says so instead of silence; one that fits gets none.
TEST(EmbeddedModel, WarnsWhenAPromptIsLongerThanTheTextEncoderReads) {
  const auto src = pipeline::resolve_model_folder(pipeline::default_model_dir());
  const auto policy = pipeline::RuntimePolicy::make("cpu", "auto");
  const auto text = pipeline::load_prompt_encoder(src, policy, 32);
  EXPECT_EQ(text->max_tokens(), 32);
  EXPECT_EQ(pipeline::truncation_warning(*text, "a red circle"), "");
  std::string long_prompt;
  for (int i = 0; i < 4; ++i) long_prompt += "a large red circle moving left on a black background ";
  const std::int64_t needed = text->token_count(long_prompt);
  EXPECT_GT(needed, 32);
  const std::string w = pipeline::truncation_warning(*text, long_prompt);
  EXPECT_NE(w.find(std::to_string(needed) + " tokens"), std::string::npos) << w;
  EXPECT_NE(w.find("reads 32"), std::string::npos) << w;
  EXPECT_EQ(text->encode(long_prompt).size(1), 32);  // still cut to what the model reads
}

TEST(EmbeddedModel, SaysItIsTheShapesWorld) {
  EXPECT_EQ(pipeline::model_world(pipeline::default_model_dir()), "shapes");
  const fs::path folder = fs::temp_directory_path() / "linvideo_model_world_test";
  fs::create_directories(folder);
  EXPECT_EQ(pipeline::model_world(folder.string()), "");  // no model_index.json
  {
    std::ofstream(folder / "model_index.json") << R"({"_class_name": "WanPipeline"})";
  }
  EXPECT_EQ(pipeline::model_world(folder.string()), "");
  {
    std::ofstream(folder / "model_index.json") << "not json";
  }
  EXPECT_THROW(pipeline::model_world(folder.string()), Error);
  remove_tree(folder.string());
}

// Issue 18: model_index.json defaults of the wrong type or out of range give one line naming the
// file and the field (they were nlohmann type errors, an undefined conversion, or bad_alloc).
TEST(ModelFolder, HostileDefaultsAreRefusedNamingTheField) {
  const fs::path folder = fs::path(test::temp_dir()) / "hostile_defaults";
  fs::create_directories(folder);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"defaults": {"steps": "many"}})", "'steps'"},       {R"({"defaults": {"steps": 1e30}})", "'steps'"},
      {R"({"defaults": {"steps": 1000000000}})", "'steps'"},   {R"({"defaults": {"steps": 0}})", "'steps'"},
      {R"({"defaults": {"guidance": "high"}})", "'guidance'"}, {R"({"defaults": {"height": 1e9}})", "'height'"},
      {R"({"defaults": {"negative_prompt": 3}})", "'negative_prompt'"},
      {R"({"defaults": {"negative_prompt": null}})", "'negative_prompt'"},
      {R"({"defaults": [4]})", "defaults must be a JSON object"},
      {R"({"linvideo_model": 3})", "'linvideo_model'"},
      {R"([1])", "must be a JSON object"},
  };
  for (const auto& [text, field] : cases) {
    SCOPED_TRACE(text);
    std::ofstream(folder / "model_index.json") << text;
    try {
      pipeline::model_defaults(folder.string(), pipeline::GenerationSettings{});
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find((folder / "model_index.json").string()), std::string::npos) << what;
      EXPECT_NE(what.find(field), std::string::npos) << what;
    }
  }
  std::ofstream(folder / "model_index.json") << R"({"defaults": {"steps": 12, "guidance": 3.5, "height": 64}})";
  const auto s = pipeline::model_defaults(folder.string(), pipeline::GenerationSettings{});
  EXPECT_EQ(s.steps, 12);
  EXPECT_DOUBLE_EQ(s.guidance, 3.5);
  EXPECT_EQ(s.height, 64);
  remove_tree(folder.string());
}

// Issue 18: a binary prompts file is refused at read time, naming the file and line (it used to
// surface later as a JSON type_error.316 with no file name).
TEST(PromptsFile, BinaryOrOversizedLinesAreRefusedWithFileAndLine) {
  const std::string dir = test::temp_dir();
  std::ofstream(dir + "/ok.txt") << "a red circle\r\n\n  \nune boîte bleue ✓\n";
  EXPECT_EQ(read_prompt_lines(dir + "/ok.txt"), (std::vector<std::string>{"a red circle", "une boîte bleue ✓"}));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {std::string("a red circle\n\xff\xfe\x00\x01 binary\n", 24), "line 2"},
      {"fine\n\xc0\xaf overlong\n", "line 2"},
      {"\xed\xa0\x80 surrogate\n", "line 1"},
      {std::string(20000, 'x') + "\n", "line 1"},
  };
  int n = 0;
  for (const auto& [text, where] : cases) {
    const std::string path = dir + "/bad" + std::to_string(++n) + ".txt";
    std::ofstream(path, std::ios::binary) << text;
    try {
      read_prompt_lines(path);
      ADD_FAILURE() << "accepted case " << n;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path + ": " + where), std::string::npos) << e.what();
    }
  }
}

// Issue 19: the CLI behaves as the studio does on the same folder. The embedded model's shipped
// sidecar applies unless --teacher, and the CLI's latents are bit-identical to the library path the
// studio takes (load, install the folder's sidecar, generate).
TEST(EmbeddedModel, CliAppliesTheShippedSidecarUnlessTeacherAndMatchesTheLibrary) {
  const std::string dir = pipeline::default_model_dir();
  const std::string sidecar = method::find_shipped_sidecar(dir);
  ASSERT_EQ(sidecar, dir + "/shapes.linvideo.safetensors");
  const std::string tmp = test::temp_dir();
  const std::string prompt = "a small red circle moving left on a black background";
  const auto run = [&](const std::string& name, const std::string& extra) {
    const std::string cmd = std::string(LINVIDEO_CLI) + " generate -p '" + prompt + "' --seed 5 --steps 2 --frames 5 " +
                            extra + " --save-latents " + tmp + "/" + name + ".safetensors --out " + tmp + "/" + name +
                            ".y4m > /dev/null 2> " + tmp + "/" + name + ".txt";
    return std::system(cmd.c_str());
  };
  ASSERT_EQ(run("shipped", ""), 0) << test::read_text_file(tmp + "/shipped.txt");
  ASSERT_EQ(run("teacher", "--teacher"), 0) << test::read_text_file(tmp + "/teacher.txt");
  const std::string said = test::read_text_file(tmp + "/shipped.txt");
  EXPECT_NE(said.find("shapes.linvideo.safetensors"), std::string::npos) << said;
  EXPECT_NE(said.find("the folder's sidecar"), std::string::npos) << said;
  EXPECT_NE(test::read_text_file(tmp + "/teacher.txt").find("every layer softmax"), std::string::npos);
  const at::Tensor shipped = io::SafetensorsFile(tmp + "/shipped.safetensors").tensor("latents");
  const at::Tensor teacher = io::SafetensorsFile(tmp + "/teacher.safetensors").tensor("latents");
  EXPECT_FALSE(at::equal(shipped, teacher));

  // The studio's path: a resident engine (load installs the folder's sidecar), one clip per
  // request; the teacher request leaves the model's layers as they were.
  engine::Engine eng;
  eng.load(engine::LoadRequest{});  // the embedded model, as the CLI without --model
  EXPECT_EQ(eng.sidecar(), sidecar);
  engine::ClipRequest request;
  request.settings = pipeline::model_defaults(dir, pipeline::GenerationSettings{});
  request.settings.prompt = prompt;
  request.settings.seed = 5;
  request.settings.steps = 2;
  request.settings.frames = 5;
  const std::vector<std::string> before = pipeline::attention_mode_names(eng.text_to_video().dit());
  request.layers.kind = engine::LayerChoice::Kind::Teacher;
  const engine::Clip library_teacher = eng.generate(request);
  EXPECT_EQ(pipeline::attention_mode_names(eng.text_to_video().dit()), before);
  request.layers.kind = engine::LayerChoice::Kind::Current;
  const engine::Clip library_shipped = eng.generate(request);
  EXPECT_TRUE(at::equal(library_shipped.result.sampling.latents.to(at::kCPU), shipped));
  EXPECT_TRUE(at::equal(library_teacher.result.sampling.latents.to(at::kCPU), teacher));
  EXPECT_NE(library_shipped.modes, library_teacher.modes);

  // --teacher with a sidecar or a layer list is a contradiction, refused before any work.
  EXPECT_NE(run("both", "--teacher --linear 2-3"), 0);
  EXPECT_NE(test::read_text_file(tmp + "/both.txt").find("--teacher"), std::string::npos);
  // --sidecar takes sidecars and --student students; each says which option the other kind needs.
  EXPECT_NE(run("as-student", "--student " + sidecar), 0);
  EXPECT_NE(test::read_text_file(tmp + "/as-student.txt").find("not a distilled student"), std::string::npos)
      << test::read_text_file(tmp + "/as-student.txt");
  EXPECT_NE(run("two-files", "--sidecar " + sidecar + " --linvideo " + sidecar), 0);
  EXPECT_NE(test::read_text_file(tmp + "/two-files.txt").find("give one of --sidecar, --student and --linvideo"),
            std::string::npos);
  // --sidecar with the shipped file is the shipped state (the same latents as no option at all).
  ASSERT_EQ(run("sidecar", "--sidecar " + sidecar), 0) << test::read_text_file(tmp + "/sidecar.txt");
  EXPECT_TRUE(at::equal(io::SafetensorsFile(tmp + "/sidecar.safetensors").tensor("latents"), shipped));
}

// `linvideo eval` generates through the engine with generate's layer options: the folder's sidecar
// unless --teacher, and the same one-line refusals.
TEST(EmbeddedModel, EvalGeneratesWithTheLayerOptionsOfGenerate) {
  const std::string tmp = test::temp_dir();
  // Without the shapes world `linvideo eval --help` still exits 0 (the top-level help), so look for
  // eval's own option in it.
  const int help_rc = std::system((std::string(LINVIDEO_CLI) + " eval --help > " + tmp + "/eval-help.txt 2>&1").c_str());
  (void)help_rc;
  if (test::read_text_file(tmp + "/eval-help.txt").find("--prompts") == std::string::npos)
    GTEST_SKIP() << "built without the shapes world";
  const std::string prompts = tmp + "/eval_prompts.txt";
  std::ofstream(prompts) << "a small red circle moving left on a black background\n";
  const auto run = [&](const std::string& name, const std::string& extra) {
    const std::string cmd = std::string(LINVIDEO_CLI) + " eval --prompts " + prompts + " --seeds 1 --steps 2 " + extra +
                            " --out " + tmp + "/" + name + ".json > /dev/null 2> " + tmp + "/" + name + ".txt";
    return std::system(cmd.c_str());
  };
  ASSERT_EQ(run("eval-teacher", "--teacher"), 0) << test::read_text_file(tmp + "/eval-teacher.txt");
  EXPECT_NE(test::read_text_file(tmp + "/eval-teacher.txt").find("every layer softmax"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(tmp + "/eval-teacher.json"));
  ASSERT_EQ(run("eval-shipped", ""), 0) << test::read_text_file(tmp + "/eval-shipped.txt");
  EXPECT_NE(test::read_text_file(tmp + "/eval-shipped.txt").find("the folder's sidecar"), std::string::npos);
  const std::string sidecar = method::find_shipped_sidecar(pipeline::default_model_dir());
  EXPECT_NE(run("eval-bad", "--student " + sidecar), 0);
  EXPECT_NE(test::read_text_file(tmp + "/eval-bad.txt").find("not a distilled student"), std::string::npos);
}
