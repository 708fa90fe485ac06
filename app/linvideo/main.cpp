// `linvideo`: the command-line front end over the engine API.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "app/linvideo/commands.h"
#include "core/error.h"
#include "core/process_tuning.h"
#include "core/version.h"

int main(int argc, char** argv) {
  linvideo::tune_allocator();
  CLI::App app{"LinVideo Studio command-line tool: inspect, run and convert Wan2.1 video models"};
  app.set_version_flag("--version", linvideo::version_string());
  app.require_subcommand(1);
  linvideo::cli::add_inspect_command(app);
  linvideo::cli::add_bench_command(app);
  linvideo::cli::add_convert_command(app);
  linvideo::cli::add_generate_command(app);
  linvideo::cli::add_scan_command(app);
  linvideo::cli::add_cache_command(app);
  linvideo::cli::add_transfer_command(app);
  linvideo::cli::add_distill_command(app);
#ifdef LINVIDEO_WITH_SHAPES
  linvideo::cli::add_eval_command(app);
  linvideo::cli::add_shapes_command(app);
  linvideo::cli::add_sweep_command(app);
#endif
#ifdef LINVIDEO_WITH_TRAIN
  linvideo::cli::add_pretrain_command(app);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const linvideo::Error& e) {
    std::fprintf(stderr, "linvideo: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    // Anything unexpected still ends as one readable line and a non-zero exit.
    std::string msg = e.what();
    for (char& c : msg) {
      if (c == '\n') c = ' ';
    }
    std::fprintf(stderr, "linvideo: error: %s\n", msg.c_str());
    return 1;
  }
  return 0;
}
