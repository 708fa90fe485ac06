#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/remove_tree.h"
#include "tests/support/test_support.h"

using linvideo::Error;
using namespace linvideo::io;
using namespace linvideo::test;

namespace {
void write_index(const std::string& path, const std::string& weight_map) {
  std::ofstream(path) << "{\"metadata\":{},\"weight_map\":" << weight_map << "}";
}
}  // namespace

TEST(Checkpoint, OpensShardedSetThroughIndex) {
  const std::string dir = temp_dir();
  write_safetensors(dir + "/m-00001-of-00002.safetensors", {{"a", at::ones({2})}, {"b", at::zeros({3})}});
  write_safetensors(dir + "/m-00002-of-00002.safetensors", {{"c", at::full({4}, 7.0)}});
  write_index(dir + "/m.safetensors.index.json",
              R"({"a":"m-00001-of-00002.safetensors","b":"m-00001-of-00002.safetensors",)"
              R"("c":"m-00002-of-00002.safetensors"})");
  for (const std::string& path : {dir + "/m.safetensors.index.json", dir}) {
    SCOPED_TRACE(path);
    const Checkpoint c = Checkpoint::open(path);
    EXPECT_EQ(c.files().size(), 2u);
    EXPECT_EQ(c.keys(), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_TRUE(at::equal(c.tensor("c"), at::full({4}, 7.0)));
    EXPECT_NE(c.file_of("c").find("00002"), std::string::npos);
    EXPECT_EQ(c.total_bytes(), 4u * (2 + 3 + 4));
  }
}

TEST(Checkpoint, DiffusersPipelineFolderUsesTransformer) {
  const std::string dir = temp_dir();
  std::filesystem::create_directories(dir + "/transformer");
  std::filesystem::create_directories(dir + "/vae");
  write_safetensors(dir + "/transformer/diffusion_pytorch_model.safetensors", {{"t", at::ones({1})}});
  write_safetensors(dir + "/vae/diffusion_pytorch_model.safetensors", {{"v", at::ones({1})}});
  const Checkpoint c = Checkpoint::open(dir);
  EXPECT_EQ(c.keys(), (std::vector<std::string>{"t"}));
  EXPECT_EQ(c.folder(), dir + "/transformer");
}

TEST(Checkpoint, RejectsDuplicateKeysAcrossShardsAndBadIndexes) {
  const std::string dir = temp_dir();
  write_safetensors(dir + "/x1.safetensors", {{"a", at::ones({2})}});
  write_safetensors(dir + "/x2.safetensors", {{"a", at::ones({2})}});
  write_index(dir + "/x.safetensors.index.json", R"({"a":"x1.safetensors","b":"x2.safetensors"})");
  EXPECT_THROW(Checkpoint::open(dir + "/x.safetensors.index.json"), Error);
  write_index(dir + "/bad.json", R"({"a":"../../etc/passwd"})");
  EXPECT_THROW(Checkpoint::open(dir + "/bad.json"), Error);
  write_index(dir + "/missing.json", R"({"a":"nope.safetensors"})");
  try {
    Checkpoint::open(dir + "/missing.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope.safetensors"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Checkpoint::open(temp_dir()), Error);  // empty folder
  EXPECT_THROW(Checkpoint::open(dir + "/does-not-exist"), Error);
}

TEST(RemoveTree, DeletesNestedFoldersAndToleratesMissingPaths) {
  const std::string dir = temp_dir() + "/tree";
  std::filesystem::create_directories(dir + "/a/b");
  std::ofstream(dir + "/a/b/file.txt") << "x";
  std::ofstream(dir + "/top.txt") << "y";
  EXPECT_TRUE(linvideo::remove_tree(dir));
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_TRUE(linvideo::remove_tree(dir));  // already gone
}
