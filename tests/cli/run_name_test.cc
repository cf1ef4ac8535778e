// A run's name prefixes its directory inside runs/: a name that would leave runs/ is refused before any
// directory is made.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "cli/run_directory.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;

TEST(RunName, NamesThatWouldLeaveRunsAreRefused) {
  for (const std::string& bad :
       {std::string("../escaped"), std::string("/tmp/absolute"), std::string("a/b"), std::string("a\0b", 3),
        std::string(""), std::string("."), std::string(".."), std::string(".hidden")}) {
    const Status s = check_run_name(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(s.message().find("run name '"), std::string::npos) << s.message();
  }
}

TEST(RunName, PlainNamesAreAccepted) {
  for (const char* ok : {"fashion-mnist-ist", "a.b", "trailing.", "with space"}) {
    EXPECT_TRUE(check_run_name(ok).ok()) << ok;
  }
}

// Runs in a fresh working directory: runs/ is relative to it.
class RunDirectoryInFreshDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    previous_ = fs::current_path();
    root_ = fs::temp_directory_path() / ("ist_run_name_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "cwd");
    fs::current_path(root_ / "cwd");
  }
  void TearDown() override {
    fs::current_path(previous_);
    fs::remove_all(root_);
  }
  fs::path previous_, root_;
};

TEST_F(RunDirectoryInFreshDirectory, AnEscapingNameCreatesNoDirectoryAnywhere) {
  auto dir = RunDirectory::create("", "../escaped");
  ASSERT_FALSE(dir.ok());
  EXPECT_NE(dir.status().message().find("'../escaped'"), std::string::npos) << dir.status().message();
  EXPECT_TRUE(fs::is_empty(root_ / "cwd")) << "not even runs/ may be made";
}

TEST_F(RunDirectoryInFreshDirectory, APlainNameLandsInsideRuns) {
  auto dir = RunDirectory::create("", "plain");
  ASSERT_TRUE(dir.ok()) << dir.status().to_string();
  EXPECT_EQ(dir->path().rfind("runs/plain-", 0), 0u) << dir->path();
  EXPECT_TRUE(fs::is_directory(dir->path()));
}

}  // namespace
}  // namespace ist::cli
