// The data-free trajectory cache: complete, resumable (a staged build equals a one-shot build)
// and guarded against mixing settings.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/method/trajectory_cache.h"
#include "tests/unit/tiny_pipeline.h"

using namespace linvideo;

TEST(TrajectoryCache, StagedBuildResumesToTheSameCacheAsOneShot) {
  auto t2v = test::tiny_pipeline();
  const auto s = test::tiny_settings();
  method::CacheOptions o;
  o.prompts = {"a red circle", "a blue square"};
  o.seeds = 2;
  o.dir = test::temp_dir() + "/one-shot";
  const auto full = method::build_trajectory_cache(*t2v, s, o);
  EXPECT_TRUE(full.complete);
  EXPECT_EQ(full.shards, 4);
  EXPECT_EQ(full.states, 4 * s.steps);
  EXPECT_GT(full.bytes, 0);

  method::CacheOptions staged = o;
  staged.dir = test::temp_dir() + "/staged";
  staged.max_jobs = 1;
  EXPECT_FALSE(method::build_trajectory_cache(*t2v, s, staged).complete);  // interrupted
  staged.max_jobs = -1;
  const auto resumed = method::build_trajectory_cache(*t2v, s, staged);
  EXPECT_TRUE(resumed.complete);
  EXPECT_EQ(resumed.new_shards, 3);
  for (const char* shard : {"shard-000000.safetensors", "shard-000003.safetensors"}) {
    SCOPED_TRACE(shard);
    const io::SafetensorsFile a(o.dir + "/" + shard), b(staged.dir + "/" + shard);
    for (const char* name : {"x_t", "u_t", "t", "sigma", "x_final"}) EXPECT_TRUE(at::equal(a.tensor(name), b.tensor(name))) << name;
    EXPECT_EQ(a.tensor("x_t").size(0), s.steps);
    EXPECT_EQ(a.tensor("x_t").sizes(), a.tensor("u_t").sizes());
  }
  // The first state of a trajectory is the seed's initial noise, at sigma ~ 1.
  pipeline::GenerationSettings first = s;
  first.seed = 0;
  const io::SafetensorsFile shard0(o.dir + "/shard-000000.safetensors");
  EXPECT_TRUE(at::equal(shard0.tensor("x_t")[0], t2v->initial_noise(first)[0]));
  EXPECT_GT(shard0.tensor("sigma")[0].item<double>(), 0.9);
  EXPECT_EQ(shard0.header().metadata.at("prompt"), "a red circle");

  // Other settings may not be appended to this cache.
  pipeline::GenerationSettings other = s;
  other.steps = s.steps + 1;
  EXPECT_THROW(method::build_trajectory_cache(*t2v, other, o), Error);
}

// Issue 18: an index naming a shard outside the cache folder (absolute, or through "..") is refused.
TEST(TrajectoryCache, ShardPathsMustStayInsideTheCache) {
  const std::string dir = test::temp_dir() + "/escaping_cache";
  std::filesystem::create_directories(dir);
  for (const std::string file : {"../outside.safetensors", "/etc/passwd", "sub/../../x.safetensors"}) {
    SCOPED_TRACE(file);
    const nlohmann::json index = {{"format", "linvideo-trajectory-cache"},
                                  {"version", 1},
                                  {"shards", {{{"file", file}, {"job", 0}, {"states", 2}, {"bytes", 1}}}}};
    std::ofstream(dir + "/index.json") << index.dump();
    try {
      method::read_trajectory_cache(dir);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'file'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(dir + "/index.json"), std::string::npos) << e.what();
    }
  }
}

// Issue 18: every field of index.json is typed before use (a string guidance or job was an
// nlohmann exception that named nothing).
TEST(TrajectoryCache, HostileIndexFieldsAreRefusedNamingTheField) {
  const std::string dir = test::temp_dir() + "/hostile_cache";
  std::filesystem::create_directories(dir);
  const nlohmann::json shard = {{"file", "shard-0.safetensors"}, {"job", 0}, {"states", 2}, {"bytes", 1}};
  const struct {
    nlohmann::json index;
    const char* expect;
  } cases[] = {
      {{{"shards", {shard}}, {"settings", {{"guidance", "x"}}}}, "settings: field 'guidance' must be a number"},
      {{{"shards", {shard}}, {"settings", {{"steps", 1.5}}}}, "settings: field 'steps' must be an integer"},
      {{{"shards", {shard}}, {"settings", 7}}, "settings must be an object"},
      {{{"shards", 3}}, "field 'shards' must be an array"},
      {{{"shards", {{{"file", "a"}, {"job", "0"}}}}}, "shards[0]: field 'job' must be an integer"},
      {{{"shards", {shard, shard}}}, "shards[1]: job 0 is listed twice"},
      {{{"shards", {{{"file", "a"}, {"job", 0}, {"states", -2}}}}}, "shards[0]: field 'states' must be between"},
      {{{"shards", {{{"file", "a"}, {"job", 0}, {"prompt", 5}}}}}, "shards[0]: field 'prompt' must be a string"},
      {nlohmann::json::array(), "must be a JSON object"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.index.dump());
    std::ofstream(dir + "/index.json") << c.index.dump();
    try {
      method::read_trajectory_cache(dir);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(dir + "/index.json"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos) << e.what();
    }
  }
}

// Issue 18: the digest that goes into a run's identity follows the cache's contents.
TEST(TrajectoryCache, DigestFollowsTheContents) {
  const std::string dir = test::temp_dir() + "/digest_cache";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& prompt) {
    const nlohmann::json index = {{"format", "linvideo-trajectory-cache"},
                                  {"version", 1},
                                  {"settings", {{"steps", 4}}},
                                  {"shards", {{{"file", "shard-0.safetensors"}, {"job", 0}, {"prompt", prompt}}}}};
    std::ofstream(dir + "/index.json") << index.dump();
    return method::trajectory_cache_digest(dir);
  };
  const std::string a = write("a red circle");
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(write("a red circle"), a);
  EXPECT_NE(write("a blue square"), a);
}
