// The `ist` program as a user runs it: real processes, real sockets, real Fashion-MNIST files.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "actors/checkpoint.h"
#include "cli/cluster_state.h"
#include "tests/cli/ist_process.h"
#include "ist/mlp.h"
#include "ist/model_io.h"
#include "runtime/node.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;

using ist_process::Outcome;
using ist_process::free_port;
using ist_process::run_ist;

// True while pid exists and is not a zombie.
bool process_running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close_paren = text.rfind(')');
  return close_paren != std::string::npos && close_paren + 2 < text.size() && text[close_paren + 2] != 'Z';
}

using ist_process::node_processes_mentioning;

class IstCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ist_e2e_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    config_ = (dir_ / "tiny.toml").string();
    std::ofstream(config_) << "name = \"tiny\"\nseed = 3\n[model]\nwidths = [784, 32, 32, 10]\n"
                              "[algorithm]\nname = \"ist\"\nlocal_steps = 5\nbatch_size = 32\nrounds = 4\n"
                              "eval_every = 2\nlearning_rate = 0.05\nwarmup_epochs = 0\nmomentum = 0.9\n[cluster]\nworkers = 2\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string config_;
};

TEST_F(IstCommand, RunWithoutAClusterUsesAnEmbeddedOneAndLeavesNoProcess) {
  const Outcome o = run_ist({"run", config_, "--out", path("run")});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("done: ist, test accuracy"), std::string::npos) << o.output;
  for (const char* f : {"config.toml", "metrics.jsonl", "summary.json", "model.safetensors", "log.txt"}) {
    EXPECT_TRUE(fs::exists(path("run/") + f)) << f;
  }
  std::ifstream log(path("run/log.txt"));
  std::string log_text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  const auto at = log_text.find("worker processes at ");
  ASSERT_NE(at, std::string::npos) << log_text;
  const std::string endpoint = log_text.substr(at + 20, log_text.find('\n', at) - at - 20);
  EXPECT_EQ(node_processes_mentioning(endpoint), 0) << "worker nodes of " << endpoint << " outlived the run";

  std::ifstream metrics(path("run/metrics.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(metrics, line);) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("live_workers").get<int>(), 2);
    EXPECT_EQ(j.at("subnets").get<int>(), 2);
    EXPECT_EQ(j.at("samples").get<int>(), 2 * 5 * 32) << "live workers x local steps x batch size";
    // Where the round's time went: the trainers' computation, and the rest waiting on the network.
    EXPECT_GT(j.at("compute_seconds").get<double>(), 0.0) << line;
    EXPECT_NEAR(j.at("compute_seconds").get<double>() + j.at("wait_seconds").get<double>(),
                j.at("round_seconds").get<double>(), 1e-9)
        << line;
    ++lines;
  }
  EXPECT_EQ(lines, 4);
  auto summary = nlohmann::json::parse(std::ifstream(path("run/summary.json")));
  EXPECT_GT(summary.at("final_test_accuracy").get<double>(), 0.2) << "chance is 0.1";

  const Outcome exported = run_ist({"export", path("run"), "-o", path("exported.safetensors")});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  auto model = load_model(path("exported.safetensors"));
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EXPECT_EQ(model->widths(), (std::vector<int>{784, 32, 32, 10}));
}

TEST_F(IstCommand, StartStatusRunAgainstTheClusterAndStopLeavesNoProcess) {
  const std::string state_env = "IST_STATE_DIR=" + path("state");
  const std::string port = std::to_string(free_port());
  const Outcome started = run_ist({"start", "--head", "--port", port, "--workers", "2"}, {state_env});
  ASSERT_EQ(started.exit_code, 0) << started.output;
  setenv("IST_STATE_DIR", path("state").c_str(), 1);
  auto state = load_cluster_state();
  unsetenv("IST_STATE_DIR");
  ASSERT_TRUE(state.ok()) << state.status().to_string();
  EXPECT_EQ(state->processes.size(), 3u);

  const Outcome status = run_ist({"status"}, {state_env});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find("2 worker node(s) alive"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find(" head    alive "), std::string::npos) << status.output;

  const Outcome run = run_ist({"run", config_, "--address", "127.0.0.1:" + port, "--out", path("run"), "--quiet"}, {state_env});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(fs::exists(path("run/model.safetensors")));
  // Without --address the run finds the cluster started here and says so first; --embedded starts its own.
  const Outcome found = run_ist({"run", config_, "--out", path("found")}, {state_env});
  EXPECT_EQ(found.exit_code, 0) << found.output;
  EXPECT_EQ(found.output.rfind("using the cluster started on this host at tcp://127.0.0.1:" + port, 0), 0u)
      << found.output;
  const Outcome own = run_ist({"run", config_, "--embedded", "--out", path("own")}, {state_env});
  EXPECT_EQ(own.exit_code, 0) << own.output;
  EXPECT_EQ(own.output.rfind("starting an embedded cluster of 2 worker processes", 0), 0u) << own.output;
  // --nodes names workers of the started cluster: a malformed id, an id no worker has, and --nodes with
  // a cluster of the run's own are each refused by name, without a run directory.
  const Outcome malformed = run_ist({"run", config_, "--nodes", "zz", "--out", path("nodes1")}, {state_env});
  EXPECT_EQ(malformed.exit_code, 2) << malformed.output;
  EXPECT_NE(malformed.output.find("ist: --nodes: 'zz' is not a node id"), std::string::npos) << malformed.output;
  EXPECT_FALSE(fs::exists(path("nodes1")));
  const Outcome stranger = run_ist({"run", config_, "--nodes", "00000000000000ab", "--out", path("nodes2")}, {state_env});
  EXPECT_EQ(stranger.exit_code, 1) << stranger.output;
  EXPECT_NE(stranger.output.find("--nodes: 00000000000000ab is not an alive worker node"), std::string::npos)
      << stranger.output;
  const Outcome own_nodes = run_ist({"run", config_, "--embedded", "--nodes", "00000000000000ab"}, {state_env});
  EXPECT_EQ(own_nodes.exit_code, 1) << own_nodes.output;
  EXPECT_NE(own_nodes.output.find("--nodes chooses workers of a started cluster"), std::string::npos) << own_nodes.output;

  const Outcome stopped = run_ist({"stop"}, {state_env});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  for (const StartedProcess& p : state->processes) {
    EXPECT_FALSE(process_running(p.identity.pid)) << "process " << p.identity.pid << " survived ist stop";
  }
  EXPECT_FALSE(fs::exists(path("state/cluster.json")));
}

// `ist status` reads the head's table: it lists every node with its role and never joins, so a driver
// watching membership sees nothing.
TEST_F(IstCommand, StatusListsTheClusterWithoutJoiningIt) {
  auto node = [](rt::NodeRole role, const std::string& name, const std::string& head) {
    rt::NodeOptions o;
    o.role = role;
    o.name = name;
    o.head_endpoint = head;
    return rt::Node::start(o);
  };
  auto head = node(rt::NodeRole::kHead, "head", "");
  ASSERT_TRUE(head.ok()) << head.status().to_string();
  const std::string endpoint = (*head)->endpoint();
  auto worker = node(rt::NodeRole::kWorker, "worker-a", endpoint);
  auto driver = node(rt::NodeRole::kDriver, "driver:exp", endpoint);
  ASSERT_TRUE(worker.ok() && driver.ok());
  auto events = (*head)->subscribe();

  // These nodes are made here without a cluster key: plain TCP, so the query is too.
  const Outcome status = run_ist({"status", "--address", endpoint.substr(6), "--node-ip", "127.0.0.1", "--insecure"}, {},
                                 std::chrono::seconds(30));
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_NE(status.output.find(" head    alive    " + endpoint), std::string::npos) << status.output;
  EXPECT_NE(status.output.find(" worker  alive    " + (*worker)->endpoint()), std::string::npos)
      << status.output;
  EXPECT_NE(status.output.find(" driver  alive    " + (*driver)->endpoint()), std::string::npos)
      << status.output;
  EXPECT_NE(status.output.find("1 worker node(s) alive"), std::string::npos) << status.output;
  EXPECT_NE(status.output.find("running experiment: exp (driver at " + (*driver)->endpoint() + ")"),
            std::string::npos)
      << status.output;

  // Events arrive in order: had `ist status` joined or left, that would come before this join.
  EXPECT_EQ(events->size(), 0u);
  auto later = node(rt::NodeRole::kWorker, "worker-b", endpoint);
  ASSERT_TRUE(later.ok());
  auto e = events->next(rt::deadline_in(std::chrono::seconds(2)));
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->member.name, "worker-b");
  EXPECT_EQ(events->size(), 0u);
}

TEST_F(IstCommand, ConfigErrorsGiveFileLineAndKeyAndANonZeroExit) {
  const std::string bad = path("bad.toml");
  std::ofstream(bad) << "seed = 1\n[algorithm]\nlearning_rat = 0.1\n";
  const Outcome o = run_ist({"run", bad, "--out", path("run")});
  EXPECT_NE(o.exit_code, 0);
  EXPECT_EQ(o.output, "ist: invalid argument: " + bad + ":3: key 'algorithm.learning_rat': unknown key\n");
  EXPECT_FALSE(fs::exists(path("run"))) << "a failed config must not leave a run directory";
  const Outcome set = run_ist({"simulate", config_, "--set", "cluster.workers=x", "--out", path("run2")});
  EXPECT_NE(set.exit_code, 0);
  EXPECT_NE(set.output.find("--set: key 'cluster.workers': expected an integer"), std::string::npos) << set.output;
  // What can only be seen against the data or the cluster is still seen before the directory is made.
  const Outcome width = run_ist({"run", "--set", "model.widths=[100, 32, 10]", config_, "--out", path("run3")});
  EXPECT_NE(width.exit_code, 0);
  EXPECT_NE(width.output.find("the test data"), std::string::npos) << width.output;
  EXPECT_FALSE(fs::exists(path("run3"))) << "a width that does not fit the data must not leave a run directory";
  const Outcome add = run_ist({"run", config_, "--address", "127.0.0.1:9", "--out", path("run4"), "--set",
                               "events=[{round = 3, action = \"add\", count = 1}]"});
  EXPECT_NE(add.exit_code, 0);
  EXPECT_NE(add.output.find("the [[events]] add at round 3"), std::string::npos) << add.output;
  EXPECT_FALSE(fs::exists(path("run4")));
  const Outcome simulated_events = run_ist({"simulate", config_, "--out", path("run5"), "--set",
                                            "events=[{round = 1, action = \"kill\", worker = 0}]"});
  EXPECT_NE(simulated_events.exit_code, 0);
  EXPECT_NE(simulated_events.output.find("ist simulate does not carry out [[events]]"), std::string::npos)
      << simulated_events.output;
  EXPECT_FALSE(fs::exists(path("run5")));
  // A head nobody answers at fails the run within cluster.join_timeout_ms, naming the address and the
  // likely causes, and leaves no directory that would block a retry with the same --out.
  const std::string silent = "127.0.0.1:" + std::to_string(ist_process::free_port());
  const auto started = std::chrono::steady_clock::now();
  const Outcome unreachable = run_ist({"run", config_, "--address", silent, "--insecure", "--set",
                                       "cluster.join_timeout_ms=300", "--out", path("run6")});
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.output;
  EXPECT_NE(unreachable.output.find("ist: cannot reach the head at tcp://" + silent + " within 0.3 s"), std::string::npos)
      << unreachable.output;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(8)) << "not the 10 s default";
  EXPECT_FALSE(fs::exists(path("run6")));
}

// Command-line mistakes of every kind CLI11 tells apart (a bad conversion, a value out of range, an
// unexpected argument, an unknown flag, a missing one) are one `ist:` line and exit 2, the documented
// usage code, not CLI11's own 105, 106, 109.
TEST_F(IstCommand, CommandLineMistakesAreOneIstLineAndExitTwo) {
  const std::vector<std::vector<std::string>> mistakes{
      {"sweep", config_, "--grid", "seed=1", "--seeds", "abc"},
      {"sweep", config_, "--grid", "seed=1", "--seeds", "0"},
      {"run", config_, "extra"},
      {"run", "--frobnicate"},
      {"start", "--workers", "x"},
      {"logs"},
      {"frobnicate"},
  };
  for (const std::vector<std::string>& args : mistakes) {
    const Outcome o = run_ist(args);
    EXPECT_EQ(o.exit_code, 2) << args[0] << " " << args.back() << ": " << o.output;
    EXPECT_EQ(o.output.rfind("ist: ", 0), 0u) << o.output;
    EXPECT_EQ(std::count(o.output.begin(), o.output.end(), '\n'), 1) << o.output;
  }
}

TEST_F(IstCommand, SimulateWritesTheSameRunDirectoryLayout) {
  const Outcome o = run_ist({"simulate", config_, "--out", path("sim"), "--quiet"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  for (const char* f : {"config.toml", "metrics.jsonl", "summary.json", "model.safetensors", "log.txt"}) {
    EXPECT_TRUE(fs::exists(path("sim/") + f)) << f;
  }
}

TEST_F(IstCommand, VersionAndHelpWork) {
  const Outcome version = run_ist({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output.rfind("ist ", 0), 0u) << version.output;
  for (const char* command : {"run", "simulate", "start", "stop", "status", "report", "export"}) {
    const Outcome help = run_ist({command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.output.find("Usage"), std::string::npos) << command << ": " << help.output;
  }
  EXPECT_NE(run_ist({"frobnicate"}).exit_code, 0);
}

}  // namespace
}  // namespace ist::cli

namespace ist::cli {
namespace {

std::uint64_t model_hash(const std::string& path) {
  auto model = load_model(path);
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  return model.ok() ? parameter_hash(*model) : 0;
}

TEST_F(IstCommand, KilledDriverResumesFromItsCheckpointToTheSameModelAsAnUninterruptedRun) {
  const std::string base = "name = \"resume\"\nseed = 5\n[model]\nwidths = [784, 32, 32, 10]\n"
                           "[algorithm]\nlocal_steps = 5\nbatch_size = 32\nrounds = 8\neval_every = 4\n"
                           "[cluster]\nworkers = 2\n[checkpoint]\nevery = 2\n";
  const std::string plain = path("plain.toml");
  const std::string killed = path("killed.toml");
  std::ofstream(plain) << base;
  std::ofstream(killed) << base << "[[events]]\nround = 5\naction = \"kill_driver\"\n";

  const Outcome uninterrupted = run_ist({"run", plain, "--out", path("a"), "--quiet"});
  ASSERT_EQ(uninterrupted.exit_code, 0) << uninterrupted.output;

  const Outcome died = run_ist({"run", killed, "--out", path("b"), "--quiet"});
  EXPECT_NE(died.exit_code, 0) << "the scripted kill should have ended the driver: " << died.output;
  EXPECT_FALSE(fs::exists(path("b/model.safetensors")));
  EXPECT_TRUE(fs::exists(path("b/checkpoint.safetensors")));

  const Outcome resumed = run_ist({"run", "--resume", path("b"), "--quiet"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(model_hash(path("b/model.safetensors")), model_hash(path("a/model.safetensors")));
  std::ifstream metrics(path("b/metrics.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(metrics, line);) ++lines;
  EXPECT_EQ(lines, 8) << "rounds 5 (redone after the checkpoint of round 4) must not be recorded twice";
  const auto summary = nlohmann::json::parse(std::ifstream(path("b/summary.json")));
  EXPECT_EQ(summary.at("rounds").get<int>(), 8) << "the summary counts the rounds before the resume too";
  EXPECT_EQ(summary.at("bytes_total"), nlohmann::json::parse(std::ifstream(path("a/summary.json"))).at("bytes_total"));
}

TEST_F(IstCommand, ResumeRefusesADirectoryWithoutACheckpoint) {
  // The driver dies after round 2 and never wrote a checkpoint: nothing to continue from.
  std::ofstream(config_, std::ios::app) << "[[events]]\nround = 2\naction = \"kill_driver\"\n";
  const Outcome o = run_ist({"run", config_, "--out", path("run"), "--quiet"});
  ASSERT_NE(o.exit_code, 0) << o.output;
  const Outcome resumed = run_ist({"run", "--resume", path("run")});
  EXPECT_NE(resumed.exit_code, 0);
  EXPECT_NE(resumed.output.find("checkpoint.safetensors"), std::string::npos) << resumed.output;
}

using ist_process::file_text;

TEST_F(IstCommand, ResumingAFinishedRunSaysSoAndChangesNothing) {
  const Outcome o = run_ist({"run", config_, "--out", path("run"), "--quiet", "--set", "checkpoint.every=2"});
  ASSERT_EQ(o.exit_code, 0) << o.output;
  std::map<std::string, std::string> before;
  for (const auto& entry : fs::directory_iterator(path("run"))) before[entry.path().string()] = file_text(entry.path());
  const Outcome resumed = run_ist({"run", "--resume", path("run")});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(resumed.output, path("run") + " holds a finished run (its summary.json is written); nothing to resume\n");
  std::map<std::string, std::string> after;
  for (const auto& entry : fs::directory_iterator(path("run"))) after[entry.path().string()] = file_text(entry.path());
  EXPECT_TRUE(before == after) << "resuming a finished run changed its directory";
}

using ist_process::spawn_ist;

TEST_F(IstCommand, ASecondDriverOnARunDirectoryInUseFailsAtOnceNamingTheHolder) {
  // A run far too long to end by itself during the test, killed after its first checkpointed round.
  const std::string config = path("long.toml");
  std::ofstream(config) << "name = \"long\"\n[model]\nwidths = [784, 16, 16, 10]\n[algorithm]\nlocal_steps = 1\n"
                           "batch_size = 8\nrounds = 1000000\neval_every = 1000000\n[cluster]\nworkers = 2\n"
                           "[checkpoint]\nevery = 1\n[[events]]\nround = 1\naction = \"kill_driver\"\n";
  const Outcome killed = run_ist({"run", config, "--out", path("run"), "--quiet"});
  ASSERT_NE(killed.exit_code, 0) << killed.output;
  ASSERT_TRUE(fs::exists(path("run/checkpoint.safetensors")));

  const pid_t holder = spawn_ist({"run", "--resume", path("run"), "--quiet"}, path("holder.log"));
  ASSERT_GT(holder, 0);
  // Wait (bounded) until the holder has locked the directory: the lock file then names it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (file_text(path("run/run.lock")) != std::to_string(holder) + "\n" &&
         std::chrono::steady_clock::now() < deadline) {
    pollfd none{};
    poll(&none, 0, 5);
  }
  const auto started = std::chrono::steady_clock::now();
  const Outcome second = run_ist({"run", "--resume", path("run"), "--quiet"}, {}, std::chrono::seconds(30));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  kill(holder, SIGKILL);
  waitpid(holder, nullptr, 0);

  EXPECT_NE(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("run directory " + path("run") + " is in use by another ist process (pid " +
                               std::to_string(holder) + ")"),
            std::string::npos)
      << second.output << "\nholder: " << file_text(path("holder.log"));
  EXPECT_LT(seconds, 5.0) << "the second driver should fail at once, not after starting a cluster";
  // Only the holder wrote metrics: one line per round, in order, none twice.
  std::ifstream metrics(path("run/metrics.jsonl"));
  std::int64_t expected = 1;
  for (std::string line; std::getline(metrics, line); ++expected) {
    EXPECT_EQ(nlohmann::json::parse(line).at("round").get<std::int64_t>(), expected);
  }
}

}  // namespace
}  // namespace ist::cli

namespace ist::cli {
namespace {

TEST_F(IstCommand, ADivergedRunFailsNamingTheRoundAndKeepsTheLastGoodCheckpoint) {
  // A learning rate of 1 takes this net to NaN in round 3 (the same rounds as the in-process reference).
  const std::string config = path("diverges.toml");
  std::ofstream(config) << "name = \"diverges\"\nseed = 3\n[model]\nwidths = [784, 32, 32, 10]\n"
                           "[algorithm]\nlocal_steps = 5\nbatch_size = 32\nrounds = 6\neval_every = 2\n"
                           "learning_rate = 1.0\nwarmup_epochs = 0\nmomentum = 0.9\n[cluster]\nworkers = 2\n"
                           "[checkpoint]\nevery = 1\n";
  const Outcome o = run_ist({"run", config, "--out", path("run"), "--quiet"});
  EXPECT_NE(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find("diverged: in round 3 the training loss became nan"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("lower algorithm.learning_rate"), std::string::npos) << o.output;
  EXPECT_FALSE(fs::exists(path("run/model.safetensors"))) << "a diverged model must not be saved as the result";
  EXPECT_FALSE(fs::exists(path("run/summary.json")));
  auto checkpoint = actors::load_checkpoint(path("run/checkpoint.safetensors"));
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().to_string();
  EXPECT_EQ(checkpoint->next_round, 2) << "the checkpoint of round 2 is the last good one";
  EXPECT_FALSE(first_non_finite(checkpoint->model).has_value());
  std::ifstream metrics(path("run/metrics.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(metrics, line);) ++lines;
  EXPECT_EQ(lines, 2);
  // The directory says the run failed and why; the same --out takes a retry.
  const auto status = nlohmann::json::parse(file_text(path("run/status.json")));
  EXPECT_EQ(status.at("status"), "failed");
  EXPECT_NE(status.at("error").get<std::string>().find("diverged: in round 3"), std::string::npos) << status;
  const Outcome retry = run_ist({"run", config, "--out", path("run"), "--quiet", "--set", "algorithm.learning_rate=0.05"});
  EXPECT_EQ(retry.exit_code, 0) << retry.output;
  EXPECT_TRUE(fs::exists(path("run/summary.json")));
}

}  // namespace
}  // namespace ist::cli

namespace ist::cli {
namespace {

std::string u32_be(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// An IDX pair (2x2 pixel images) named like Fashion-MNIST's `prefix` files in dir, with these labels.
void write_idx(const std::string& dir, const std::string& prefix, const std::string& labels) {
  const auto n = static_cast<std::uint32_t>(labels.size());
  std::string pixels;
  for (std::uint32_t i = 0; i < 4 * n; ++i) pixels.push_back(static_cast<char>(i * 37 % 256));
  std::ofstream(dir + "/" + prefix + "-images-idx3-ubyte", std::ios::binary)
      << u32_be(0x803) + u32_be(n) + u32_be(2) + u32_be(2) + pixels;
  std::ofstream(dir + "/" + prefix + "-labels-idx1-ubyte", std::ios::binary) << u32_be(0x801) + u32_be(n) + labels;
}

std::string labels_mod_3(int count) {
  std::string labels;
  for (int i = 0; i < count; ++i) labels.push_back(static_cast<char>(i % 3));
  return labels;
}

std::string tiny_data_config(const std::string& data_dir) {
  return "name = \"tiny-data\"\n[model]\nwidths = [4, 8, 8, 3]\n[data]\npath = \"" + data_dir +
         "\"\ninput_mean = 0\ninput_std = 1\n[algorithm]\nlocal_steps = 2\nbatch_size = 4\nrounds = 2\n"
         "[cluster]\nworkers = 2\n";
}

TEST_F(IstCommand, ATrainingLabelOutsideTheModelsOutputsFailsTheRunNamingFileAndExample) {
  const std::string data = path("data");
  fs::create_directories(data);
  std::string train = labels_mod_3(48);
  train[13] = 7;
  write_idx(data, "train", train);
  write_idx(data, "t10k", labels_mod_3(12));
  std::ofstream(path("bad_label.toml")) << tiny_data_config(data);
  const Outcome o = run_ist({"run", path("bad_label.toml"), "--out", path("run"), "--quiet"}, {},
                            std::chrono::seconds(60));
  EXPECT_NE(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find(data + "/train-labels-idx1-ubyte: example 13 has label 7, but the model has 3 outputs"),
            std::string::npos)
      << o.output;
  const Outcome simulated = run_ist({"simulate", path("bad_label.toml"), "--out", path("sim"), "--quiet"});
  EXPECT_NE(simulated.exit_code, 0) << simulated.output;
  EXPECT_NE(simulated.output.find("example 13 has label 7"), std::string::npos) << simulated.output;
}

TEST_F(IstCommand, AFifoAsADataFileFailsTheRunAtOnceNamingIt) {
  const std::string data = path("data");
  fs::create_directories(data);
  write_idx(data, "train", labels_mod_3(48));
  write_idx(data, "t10k", labels_mod_3(12));
  const std::string fifo = data + "/t10k-labels-idx1-ubyte";
  fs::remove(fifo);
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::ofstream(path("fifo.toml")) << tiny_data_config(data);
  const Outcome o = run_ist({"run", path("fifo.toml"), "--out", path("run"), "--quiet"}, {}, std::chrono::seconds(30));
  EXPECT_NE(o.exit_code, 0) << o.output;
  EXPECT_NE(o.output.find(fifo + ": is a FIFO (named pipe), not a regular file"), std::string::npos) << o.output;
}

}  // namespace
}  // namespace ist::cli
