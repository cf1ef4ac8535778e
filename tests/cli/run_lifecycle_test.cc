// A run's life as a user lives it: Ctrl-C, resume, failures that must not block a retry, the cluster
// started on this host. Real `ist` processes, real signals, real Fashion-MNIST files; every wait polls a
// file or a process with a deadline.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "actors/checkpoint.h"
#include "ist/mlp.h"
#include "ist/model_io.h"
#include "tests/cli/ist_process.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;
using ist_process::node_processes_mentioning;
using ist_process::Outcome;
using ist_process::run_ist;
using ist_process::spawn_ist;
using ist_process::wait_exit;

using ist_process::file_text;

std::vector<nlohmann::json> metrics_of(const std::string& dir) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(dir + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Polls (every 5 ms, at most `timeout`) until `done` holds; returns whether it did.
template <typename Done>
bool poll_until(Done done, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    pollfd none{};
    poll(&none, 0, 5);
  }
  return true;
}

std::uint64_t model_hash(const std::string& path) {
  auto model = load_model(path);
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  return model.ok() ? parameter_hash(*model) : 0;
}

// The embedded cluster's endpoint, as the run's log names it.
std::string embedded_endpoint(const std::string& run_dir) {
  const std::string log = file_text(run_dir + "/log.txt");
  const auto at = log.find("worker processes at ");
  if (at == std::string::npos) return "";
  return log.substr(at + 20, log.find('\n', at) - at - 20);
}

class RunLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ist_lifecycle_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // A small IST run of `rounds` rounds whose trainer 0 sleeps `delay_ms` after each step of rounds 1 to
  // `slow_rounds`: slow enough there for a signal to land mid-run, fast afterwards.
  std::string slow_config(int rounds, int delay_ms, int slow_rounds) const {
    const std::string file = path("slow.toml");
    std::ofstream(file)
        << "name = \"slow\"\nseed = 7\n[model]\nwidths = [784, 32, 32, 10]\n"
           "[algorithm]\nlocal_steps = 2\nbatch_size = 32\nrounds = "
        << rounds
        << "\neval_every = 4\nlearning_rate = 0.05\nwarmup_epochs = 0\n[cluster]\nworkers = 2\n"
           "[[events]]\nround = 1\naction = \"slow\"\nworker = 0\ndelay_ms = "
        << delay_ms << "\nrounds = " << slow_rounds << "\n";
    return file;
  }

  fs::path dir_;
};

TEST_F(RunLifecycle, CtrlCSavesTheRunSaysHowToResumeAndTheResumedRunEndsWithTheUninterruptedModel) {
  const std::string config = slow_config(12, 150, 4);
  const std::string run = path("run");
  const pid_t pid = spawn_ist({"run", config, "--out", run}, path("out.log"));
  ASSERT_TRUE(poll_until([&] { return !file_text(run + "/metrics.jsonl").empty(); }))
      << file_text(path("out.log"));
  ASSERT_EQ(kill(pid, SIGINT), 0);
  const int code = wait_exit(pid, std::chrono::seconds(60));
  const std::string output = file_text(path("out.log"));
  ASSERT_EQ(code, 130) << output;
  EXPECT_NE(output.find("resume with: ist run --resume " + run), std::string::npos) << output;

  const auto summary = nlohmann::json::parse(file_text(run + "/summary.json"));
  EXPECT_EQ(summary.at("status"), "interrupted");
  EXPECT_EQ(nlohmann::json::parse(file_text(run + "/status.json")).at("status"), "interrupted");
  EXPECT_TRUE(fs::exists(run + "/model.safetensors"));
  const std::vector<nlohmann::json> before = metrics_of(run);
  ASSERT_FALSE(before.empty());
  ASSERT_LT(before.size(), 12u) << "the interrupt should have landed in the slow rounds";
  EXPECT_EQ(summary.at("rounds").get<std::size_t>(), before.size());
  EXPECT_NE(before.back().at("event_kinds").dump().find("\"interrupted\""), std::string::npos)
      << before.back();
  auto checkpoint = actors::load_checkpoint(run + "/checkpoint.safetensors");
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().to_string();
  EXPECT_EQ(checkpoint->next_round, static_cast<std::int64_t>(before.size()))
      << "checkpointed at the interrupt";
  const std::string endpoint = embedded_endpoint(run);
  ASSERT_FALSE(endpoint.empty());
  EXPECT_EQ(node_processes_mentioning(endpoint), 0) << "embedded workers outlived the interrupted run";

  const Outcome resumed = run_ist({"run", "--resume", run});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const std::vector<nlohmann::json> all = metrics_of(run);
  ASSERT_EQ(all.size(), 12u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].at("round").get<std::size_t>(), i + 1);
    if (i > 0) {
      EXPECT_GE(all[i].at("wall_seconds").get<double>(), all[i - 1].at("wall_seconds").get<double>())
          << "the time curve ran backwards at round " << i + 1;
      EXPECT_GE(all[i].at("bytes_total").get<double>(), all[i - 1].at("bytes_total").get<double>());
      EXPECT_GT(all[i].at("epochs").get<double>(), all[i - 1].at("epochs").get<double>());
    }
  }
  EXPECT_NE(all[before.size()].at("event_kinds").dump().find("\"resumed\""), std::string::npos)
      << all[before.size()];
  const auto whole = nlohmann::json::parse(file_text(run + "/summary.json"));
  EXPECT_EQ(whole.at("status"), "finished");
  EXPECT_EQ(whole.at("rounds").get<int>(), 12);
  EXPECT_GE(whole.at("wall_seconds").get<double>(), all.back().at("wall_seconds").get<double>());
  EXPECT_EQ(whole.at("bytes_total"), all.back().at("bytes_total"));
  // The progress line of the resumed session counts the run's bytes, not this session's from zero.
  EXPECT_NE(resumed.output.find("round 12/12"), std::string::npos) << resumed.output;

  // Same config without the (timing-only) slowdown, in process: the same model, bit for bit.
  const Outcome reference =
      run_ist({"simulate", "--set", "events=[]", config, "--out", path("sim"), "--quiet"});
  ASSERT_EQ(reference.exit_code, 0) << reference.output;
  EXPECT_EQ(model_hash(run + "/model.safetensors"), model_hash(path("sim/model.safetensors")));
}

TEST_F(RunLifecycle, ASecondCtrlCStopsAtOnceAndLeavesNoProcess) {
  // Trainer 0's step takes 3 s from round 2 on (the --set events replace the file's): the first Ctrl-C
  // would wait for that round.
  const std::string config = slow_config(6, 3000, 6);
  const std::string run = path("run");
  const pid_t pid =
      spawn_ist({"run", config, "--out", run, "--set", "algorithm.local_steps=1", "--set",
                 "events=[{round = 2, action = \"slow\", worker = 0, delay_ms = 3000, rounds = 5}]"},
                path("out.log"));
  ASSERT_TRUE(poll_until([&] { return !file_text(run + "/metrics.jsonl").empty(); }))
      << file_text(path("out.log"));
  const auto signalled = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(pid, SIGINT), 0);
  ASSERT_TRUE(
      poll_until([&] { return file_text(path("out.log")).find("interrupted (SIGINT)") != std::string::npos; },
                 std::chrono::seconds(10)));
  ASSERT_EQ(kill(pid, SIGINT), 0);
  const int code = wait_exit(pid, std::chrono::seconds(30));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  EXPECT_EQ(code, 130) << file_text(path("out.log"));
  EXPECT_LT(seconds, 2.5) << "the second Ctrl-C should not wait for the slow round";
  EXPECT_FALSE(fs::exists(run + "/summary.json"));
  const std::string endpoint = embedded_endpoint(run);
  ASSERT_FALSE(endpoint.empty());
  EXPECT_TRUE(poll_until([&] { return node_processes_mentioning(endpoint) == 0; }, std::chrono::seconds(10)))
      << "embedded workers outlived the driver";
}

TEST_F(RunLifecycle, CtrlCStopsASimulationAfterItsRoundAndItsDirectoryTakesARetry) {
  // Long enough (thousands of rounds) that only the signal can end it within the test's deadline.
  const std::string config = path("long.toml");
  std::ofstream(config) << "name = \"long\"\nseed = 3\n[model]\nwidths = [784, 64, 10]\n"
                           "[algorithm]\nlocal_steps = 4\nbatch_size = 32\nrounds = 100000\neval_every = 1000\n"
                           "learning_rate = 0.05\nwarmup_epochs = 0\n[cluster]\nworkers = 2\n";
  const std::string run = path("sim");
  const pid_t pid = spawn_ist({"simulate", config, "--out", run}, path("out.log"));
  ASSERT_TRUE(poll_until([&] { return !file_text(run + "/metrics.jsonl").empty(); }))
      << file_text(path("out.log"));
  ASSERT_EQ(kill(pid, SIGINT), 0);
  const int code = wait_exit(pid, std::chrono::seconds(30));
  const std::string output = file_text(path("out.log"));
  ASSERT_EQ(code, 130) << output;
  EXPECT_NE(output.find("interrupted by SIGINT"), std::string::npos) << output;
  EXPECT_NE(output.find("cannot be resumed"), std::string::npos) << output;
  const auto status = nlohmann::json::parse(file_text(run + "/status.json"));
  EXPECT_EQ(status.at("status"), "failed") << status;
  EXPECT_LT(metrics_of(run).size(), 100000u);

  const Outcome retry = run_ist({"simulate", config, "--out", run, "--set", "algorithm.rounds=2", "--quiet"});
  ASSERT_EQ(retry.exit_code, 0) << retry.output;
  EXPECT_EQ(nlohmann::json::parse(file_text(run + "/status.json")).at("status"), "finished");
}

}  // namespace
}  // namespace ist::cli
