// `linvideo pretrain ...`: trains the parts of the embedded shapes model (see docs/shapes.md).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/linvideo/commands.h"
#include "core/train/pretrain.h"

namespace linvideo::cli {

void add_pretrain_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("pretrain", "Train the embedded shapes model's parts (resumable)");
  cmd->require_subcommand(1);
  const train::TrainLog log{[](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); }};

  auto* tok = cmd->add_subcommand("tokenizer", "Train the sentencepiece tokenizer on the prompt grammar");
  auto tok_out = std::make_shared<std::string>("shapes-run/tokenizer");
  tok->add_option("--out", *tok_out, "Output folder")->capture_default_str();
  tok->callback([tok_out, log] { train::pretrain_tokenizer(*tok_out, log); });

  auto* text = cmd->add_subcommand("text", "Write the frozen random umT5 text encoder");
  struct TextArgs {
    std::string out = "shapes-run/text_encoder", tokenizer = "shapes-run/tokenizer/spiece.model";
    std::uint64_t seed = 7;
  };
  auto ta = std::make_shared<TextArgs>();
  text->add_option("--out", ta->out)->capture_default_str();
  text->add_option("--tokenizer", ta->tokenizer)->capture_default_str();
  text->add_option("--seed", ta->seed)->capture_default_str();
  text->callback([ta, log] { train::pretrain_text_encoder(ta->out, ta->tokenizer, ta->seed, log); });

  auto add_run_options = [](CLI::App* sub, train::RunOptions& r) {
    sub->add_option("--dir", r.dir, "Run folder (checkpoints; resumes if present)")->required();
    sub->add_option("--device", r.device, "cpu or cuda")->capture_default_str();
    sub->add_option("--steps", r.steps, "Total steps")->capture_default_str();
    sub->add_option("--batch", r.batch, "Clips per step")->capture_default_str();
    sub->add_option("--lr", r.lr, "AdamW learning rate")->capture_default_str();
    sub->add_option("--seed", r.seed, "Data and init seed")->capture_default_str();
    sub->add_option("--checkpoint-every", r.checkpoint_every)->capture_default_str();
    sub->add_option("--log-every", r.log_every)->capture_default_str();
    sub->add_option("--init", r.init, "Fresh runs: start from this exported model folder's weights");
    sub->add_option("--max-minutes", r.max_minutes, "Stop and checkpoint after this long (0: no limit)")->capture_default_str();
  };
  auto* vae = cmd->add_subcommand("vae", "Train the Wan-architecture autoencoder");
  auto vr = std::make_shared<train::RunOptions>();
  add_run_options(vae, *vr);
  vae->add_option("--foreground-weight", vr->foreground_weight, "Extra loss weight on object pixels")->capture_default_str();
  vae->add_option("--edge-weight", vr->edge_weight, "Weight of the loss on x/y/time differences (sharpness)")->capture_default_str();
  vae->add_option("--clip-frames", vr->clip_frames, "Train on windows of 1 + 4k frames (0: whole clips)")->capture_default_str();
  vae->callback([vr, log] { train::pretrain_vae(*vr, log); });

  auto* dit = cmd->add_subcommand("dit", "Train the Wan-architecture DiT teacher (flow matching)");
  struct DitArgs {
    train::RunOptions run;
    std::string vae, text = "shapes-run/text_encoder", tokenizer = "shapes-run/tokenizer/spiece.model";
  };
  auto da = std::make_shared<DitArgs>();
  add_run_options(dit, da->run);
  dit->add_option("--latent-pool", da->run.latent_pool, "Encode this many clips once and sample batches from them (0: fresh clips every step)")
      ->capture_default_str();
  dit->add_option("--vae-run", da->vae, "The VAE run folder")->required();
  dit->add_option("--text", da->text)->capture_default_str();
  dit->add_option("--tokenizer", da->tokenizer)->capture_default_str();
  dit->callback([da, log] { train::pretrain_dit(da->run, da->vae, da->text, da->tokenizer, log); });

  auto* exp = cmd->add_subcommand("export", "Assemble the diffusers-layout model folder");
  struct ExportArgs {
    std::string out = "resources/models/shapes", vae, dit, text = "shapes-run/text_encoder",
                tokenizer = "shapes-run/tokenizer/spiece.model";
  };
  auto ea = std::make_shared<ExportArgs>();
  exp->add_option("--out", ea->out)->capture_default_str();
  exp->add_option("--vae-run", ea->vae)->required();
  exp->add_option("--dit-run", ea->dit)->required();
  exp->add_option("--text", ea->text)->capture_default_str();
  exp->add_option("--tokenizer", ea->tokenizer)->capture_default_str();
  exp->callback([ea, log] { train::export_shapes_model(ea->out, ea->vae, ea->dit, ea->text, ea->tokenizer, log); });
}

}  // namespace linvideo::cli
