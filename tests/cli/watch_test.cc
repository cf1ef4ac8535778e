// Watching runs: `ist status` lists a run another process is writing (round, accuracy, ETA; --json for
// scripts), `ist logs` prints its log by name from another directory and `-f` ends with the run.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/cli/ist_process.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;
using ist_process::run_ist;
using namespace std::chrono_literals;

class Watch : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ist_watch_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "state");
    state_env_ = "IST_STATE_DIR=" + (root_ / "state").string();
    config_ = (root_ / "long.toml").string();
    std::ofstream(config_) << "name = \"watched\"\n[model]\nwidths = [784, 16, 16, 10]\n[algorithm]\n"
                              "local_steps = 1\nbatch_size = 8\nrounds = 1000000\neval_every = 20\n"
                              "[cluster]\nworkers = 1\n";
  }
  void TearDown() override {
    stop_run();
    fs::remove_all(root_);
  }

  // `ist run` of a run that would last hours, in the background, writing into root_/run.
  void start_run() {
    run_pid_ = fork();
    if (run_pid_ == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      putenv(const_cast<char*>(state_env_.c_str()));
      const std::string out = (root_ / "run").string();
      execl(IST_BINARY, IST_BINARY, "run", config_.c_str(), "--out", out.c_str(), "--quiet", nullptr);
      _exit(127);
    }
  }
  void stop_run() {
    if (run_pid_ <= 0) return;
    kill(run_pid_, SIGKILL);
    waitpid(run_pid_, nullptr, 0);
    run_pid_ = -1;
  }

  nlohmann::json status_json() {
    const auto status = run_ist({"status", "--json"}, {state_env_}, 30s);
    EXPECT_EQ(status.exit_code, 0) << status.output;
    return nlohmann::json::parse(status.output, nullptr, false);
  }

  // The status entry of root_/run once it has recorded an evaluated round; null after 30 s.
  nlohmann::json wait_for_listed_run() {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      const nlohmann::json status = status_json();
      if (status.is_object()) {
        for (const auto& e : status["experiments"]) {
          if (e["dir"] == fs::absolute(root_ / "run").string() && e["test_accuracy"].is_number()) return e;
        }
      }
      std::this_thread::sleep_for(100ms);
    }
    return nullptr;
  }

  fs::path root_;
  std::string state_env_, config_;
  pid_t run_pid_ = -1;
};

TEST_F(Watch, StatusListsARunningRunWithRoundAccuracyEtaAndExamplesAndForgetsItWhenItsDriverDies) {
  start_run();
  const nlohmann::json entry = wait_for_listed_run();
  ASSERT_TRUE(entry.is_object()) << "the running run was never listed";
  EXPECT_EQ(entry["name"], "watched");
  EXPECT_EQ(entry["pid"].get<int>(), run_pid_);
  EXPECT_GE(entry["round"].get<int>(), 20);
  EXPECT_EQ(entry["planned_rounds"].get<int>(), 1000000);
  EXPECT_TRUE(entry["eta_seconds"].is_number()) << entry.dump();
  EXPECT_EQ(entry["live_workers"].get<int>(), 1);
  EXPECT_EQ(entry["examples_per_worker"], nlohmann::json::array({60000})) << "one worker on all of Fashion-MNIST";

  const auto text = run_ist({"status"}, {state_env_}, 30s);
  EXPECT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find("1 experiment(s) running on this host"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("/1000000"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("no cluster started on this host"), std::string::npos) << text.output;

  stop_run();  // kill -9: the kernel drops the run's lock
  const nlohmann::json after = status_json();
  ASSERT_TRUE(after.is_object());
  EXPECT_TRUE(after["experiments"].empty()) << after.dump();
}

TEST_F(Watch, LogsFindsARunByNameFromAnotherDirectoryAndFollowEndsWithTheRun) {
  start_run();
  ASSERT_TRUE(wait_for_listed_run().is_object());
  const auto by_name = run_ist({"logs", "watched"}, {state_env_}, 30s, "/");
  EXPECT_EQ(by_name.exit_code, 0) << by_name.output;
  EXPECT_NE(by_name.output.find("embedded local cluster of 1 worker"), std::string::npos) << by_name.output;

  auto follower = std::async(std::launch::async, [&] {
    return run_ist({"logs", "-f", (root_ / "run").string()}, {state_env_}, 60s, "/");
  });
  EXPECT_EQ(follower.wait_for(500ms), std::future_status::timeout) << "-f returned while the run still ran";
  stop_run();
  ASSERT_EQ(follower.wait_for(30s), std::future_status::ready) << "-f did not end with the run";
  const auto followed = follower.get();
  EXPECT_EQ(followed.exit_code, 0) << followed.output;
  EXPECT_NE(followed.output.find("embedded local cluster"), std::string::npos) << followed.output;
}

TEST_F(Watch, LogsOfAnUnknownRunIsOneClearError) {
  const auto out = run_ist({"logs", "no-such-run"}, {state_env_}, 30s, "/");
  EXPECT_EQ(out.exit_code, 1) << out.output;
  EXPECT_EQ(out.output.rfind("ist: no run directory or recorded run named 'no-such-run'", 0), 0u) << out.output;
}

}  // namespace
}  // namespace ist::cli
