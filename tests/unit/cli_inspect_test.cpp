// Drives the real `linvideo` binary, as a user would.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "tests/support/test_support.h"

using namespace linvideo::test;

namespace {
struct CliResult {
  int exit_code;
  std::string out;
};
// Runs the CLI with stderr captured in place of stdout when `stderr_only`.
CliResult run_cli(const std::string& args, bool stderr_only) {
  const std::string cmd = std::string(LINVIDEO_CLI) + " " + args + (stderr_only ? " 2>&1 >/dev/null" : " 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}
}  // namespace

TEST(CliInspect, EveryCorruptFileGivesOneLineErrorAndNonZeroExit) {
  const std::string dir = temp_dir();
  for (const auto& c : corrupt_cases()) {
    SCOPED_TRACE(c.name);
    const std::string path = write_corrupt_case(dir, c);
    const CliResult r = run_cli("inspect " + path, /*stderr_only=*/true);
    EXPECT_EQ(r.exit_code, 1) << r.out;  // 1 = handled error; a crash would be >= 128
    ASSERT_FALSE(r.out.empty());
    EXPECT_EQ(r.out.find('\n'), r.out.size() - 1) << "not one line: " << r.out;
    EXPECT_EQ(r.out.rfind("linvideo: error: " + path, 0), 0u) << r.out;
    EXPECT_NE(r.out.find(c.expect), std::string::npos) << r.out;
  }
}

TEST(CliInspect, DescribesGoldenCheckpointsInEveryLayout) {
  const CliResult orig = run_cli("inspect " + golden_dir() + "/dit_small.original.safetensors", false);
  EXPECT_EQ(orig.exit_code, 0);
  EXPECT_NE(orig.out.find("original Wan"), std::string::npos) << orig.out;
  EXPECT_NE(orig.out.find("dim 128, 3 layers"), std::string::npos) << orig.out;
  const CliResult diff = run_cli("inspect --json " + golden_dir() + "/dit_small.diffusers.safetensors", false);
  EXPECT_EQ(diff.exit_code, 0);
  EXPECT_NE(diff.out.find("\"dialect\": \"diffusers\""), std::string::npos) << diff.out;
  EXPECT_NE(diff.out.find("\"num_layers\": 3"), std::string::npos) << diff.out;
  const CliResult other = run_cli("inspect " + golden_dir() + "/dit_small.io.safetensors", false);
  EXPECT_EQ(other.exit_code, 0);
  EXPECT_NE(other.out.find("not a Wan DiT"), std::string::npos) << other.out;
}

TEST(CliInspect, MissingPathAndBadUsageFail) {
  const CliResult missing = run_cli("inspect /no/such/model.safetensors", true);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.out.find("/no/such/model.safetensors"), std::string::npos);
  EXPECT_NE(run_cli("inspect", true).exit_code, 0);
  EXPECT_NE(run_cli("frobnicate", true).exit_code, 0);
  const CliResult version = run_cli("--version", false);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("LibTorch"), std::string::npos);
}
