// The configuration line agrees with the compile-time flags of this build.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "hz3.h"
#include "hz3/config.h"
#include "hz3/size_class.h"

namespace {

// " key=value " with exact token boundaries (so shards=9 does not match shards=96).
bool HasToken(const std::string& line, const std::string& token) {
  std::string padded = " " + line + " ";
  return padded.find(" " + token + " ") != std::string::npos;
}

TEST(Config, NumShardsMatchesFlag) {
  EXPECT_EQ(hz3_num_shards(), static_cast<unsigned>(HZ3_NUM_SHARDS));
  EXPECT_EQ(hz3_num_shards(), hz3::kNumShards);
}

TEST(Config, LineNamesLaneAndShards) {
  std::string line = hz3_config_string();
  EXPECT_EQ(line.rfind("lane=", 0), 0u) << line;
  EXPECT_TRUE(HasToken(line, std::string("lane=") + hz3::kLane)) << line;
  EXPECT_TRUE(HasToken(line, "shards=" + std::to_string(hz3_num_shards()))) << line;
  // Stable: the same pointer and text every call.
  EXPECT_EQ(hz3_config_string(), hz3_config_string());
}

TEST(Config, BoxFormsAgreeWithFlags) {
  std::string line = hz3_config_string();
  EXPECT_TRUE(HasToken(line, hz3::kXferLockFree ? "xfer=lockfree" : "xfer=mutex")) << line;
  EXPECT_FALSE(HasToken(line, hz3::kXferLockFree ? "xfer=mutex" : "xfer=lockfree")) << line;
  EXPECT_TRUE(HasToken(line, hz3::kCentralLockFree ? "central=lockfree" : "central=mutex")) << line;
  EXPECT_FALSE(HasToken(line, hz3::kCentralLockFree ? "central=mutex" : "central=lockfree")) << line;
  EXPECT_EQ(hz3::kXferLockFree, bool(HZ3_S142_XFER_LOCKFREE));
  EXPECT_EQ(hz3::kCentralLockFree, bool(HZ3_S142_CENTRAL_LOCKFREE));
}

TEST(Config, FlagsAgreeWithMacros) {
  std::string line = hz3_config_string();
  auto flag = [&](const char* key, int v) {
    EXPECT_TRUE(HasToken(line, std::string(key) + "=" + std::to_string(v))) << key << " in " << line;
  };
  flag("collision_failfast", HZ3_SHARD_COLLISION_FAILFAST);
  flag("owner_excl_always", HZ3_OWNER_EXCL_ALWAYS);
  flag("s142_failfast", HZ3_S142_FAILFAST);
  flag("list_failfast", HZ3_LIST_FAILFAST);
  flag("xfer_struct_failfast", HZ3_XFER_STRUCT_FAILFAST);
  flag("s86_shadow", HZ3_S86_CENTRAL_SHADOW);
  flag("xfer_steal", HZ3_XFER_STEAL);
  flag("free_failfast", HZ3_FREE_FAILFAST);
  flag("classes", static_cast<int>(hz3::kNumClasses));
  flag("max_class", static_cast<int>(hz3::kMaxClassSize));
}

TEST(Config, DerivedFlagsFollowTheRules) {
  // The derived values documented in config.h.
  EXPECT_EQ(hz3::kOwnerExclPop, hz3::kOwnerExclAlways);
  EXPECT_EQ(hz3::kCarveLocked, hz3::kOwnerExclAlways || !hz3::kCollisionFailfast);
  // The forbidden combinations cannot be this build.
  EXPECT_FALSE(hz3::kCentralLockFree && !hz3::kCollisionFailfast && !hz3::kOwnerExclAlways);
  EXPECT_FALSE(hz3::kXferLockFree && !hz3::kCollisionFailfast && !hz3::kOwnerExclAlways);
  EXPECT_FALSE(hz3::kCentralLockFree && hz3::kS86Shadow);
}

// HZ3_PRINT_CONFIG=1 prints the line once on stderr at start-up. The
// threadsafe death-test style re-executes this binary, so the child starts
// with the variable set.
TEST(Config, PrintConfigEnvPrintsTheLine) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ASSERT_EQ(setenv("HZ3_PRINT_CONFIG", "1", 1), 0);
  std::string expected = std::string("(^|\n)hz3: config lane=") + hz3::kLane + " shards=" +
                         std::to_string(hz3_num_shards()) + " ";
  EXPECT_EXIT(
      {
        void* p = hz3_malloc(1);
        hz3_free(p);
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), expected);
  unsetenv("HZ3_PRINT_CONFIG");
}

}  // namespace
