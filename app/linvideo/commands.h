#pragma once
// Each subcommand of the `linvideo` tool registers its options and its action here.
namespace CLI {
class App;
}

namespace linvideo::cli {
void add_inspect_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_scan_command(CLI::App& app);
void add_cache_command(CLI::App& app);
void add_transfer_command(CLI::App& app);
void add_distill_command(CLI::App& app);
void add_eval_command(CLI::App& app);    // builds with the shapes world only
void add_shapes_command(CLI::App& app);  // builds with the shapes world only
void add_sweep_command(CLI::App& app);   // builds with the shapes world only
void add_pretrain_command(CLI::App& app);  // builds with the trainers only
}  // namespace linvideo::cli
