// The `ist` program keeps its books without hurting anyone else: stop signals only processes it can prove
// it started, start fails loudly when a node does not come up, flags out of range are refused before
// anything starts, and a run name cannot write outside runs/. Real `ist` processes; every port is chosen
// by the OS.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/cluster_state.h"
#include "cli/process_identity.h"
#include "tests/cli/ist_process.h"

namespace ist::cli {
namespace {

namespace fs = std::filesystem;
using ist_process::BusyPort;
using ist_process::Outcome;
using ist_process::run_ist;
using std::chrono::seconds;

// A process of our own that has nothing to do with ist: `sleep`, killed and reaped when the object goes.
class Bystander {
 public:
  Bystander() : pid_(fork()) {
    if (pid_ == 0) {
      execl("/bin/sleep", "sleep", "300", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Bystander() {
    if (running()) kill(pid_, SIGKILL);
    if (!reaped_) waitpid(pid_, nullptr, 0);
  }
  Bystander(const Bystander&) = delete;
  Bystander& operator=(const Bystander&) = delete;

  pid_t pid() const { return pid_; }
  // True while it has not exited. Never blocks.
  bool running() {
    if (reaped_) return false;
    if (waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
    return !reaped_;
  }
  // Waits for its exit (bounded by whoever signalled it) and tells whether `signal` ended it.
  bool ended_by(int signal) {
    if (!reaped_ && waitpid(pid_, &status_, 0) == pid_) reaped_ = true;
    return reaped_ && WIFSIGNALED(status_) && WTERMSIG(status_) == signal;
  }

 private:
  pid_t pid_;
  int status_ = 0;
  bool reaped_ = false;
};

using ist_process::node_processes_mentioning;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class ClusterBookkeeping : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ist_bookkeeping_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (fs::exists(state_dir("a") + "/cluster.json")) (void)run_ist({"stop"}, {state_env("a")}, seconds(30));
    fs::remove_all(dir_);
  }
  std::string state_dir(const std::string& host) const { return (dir_ / ("state-" + host)).string(); }
  std::string state_env(const std::string& host) const { return "IST_STATE_DIR=" + state_dir(host); }
  // What the nodes started for `host` wrote, for a failure's message.
  std::string node_logs(const std::string& host) const {
    std::string all;
    for (const auto& entry : fs::directory_iterator(state_dir(host))) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("node-", 0) == 0) all += "--- " + name + "\n" + read_text(entry.path().string());
    }
    return all;
  }

  // Writes the cluster state file of `host` as `ist start` would have.
  void record(const std::string& host, const ClusterState& state) {
    setenv("IST_STATE_DIR", state_dir(host).c_str(), 1);
    const Status s = save_cluster_state(state);
    unsetenv("IST_STATE_DIR");
    ASSERT_TRUE(s.ok()) << s.to_string();
  }

  fs::path dir_;
};

TEST_F(ClusterBookkeeping, StopLeavesAProcessThatReusedAWorkersPidAlone) {
  Bystander stranger;
  auto now = identify_process(stranger.pid());
  ASSERT_TRUE(now.ok()) << now.status().to_string();
  // Our worker had this pid but started one tick earlier: it has exited and the pid went to `stranger`.
  ProcessIdentity ours = *now;
  ours.start_time -= 1;
  ASSERT_NO_FATAL_FAILURE(record("a", {"tcp://127.0.0.1:1", {{"worker", ours}}}));

  const Outcome stopped = run_ist({"stop"}, {state_env("a")}, seconds(30));
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_TRUE(contains(stopped.output,
                       "pid " + std::to_string(stranger.pid()) + " is no longer our worker: not signalled"))
      << stopped.output;
  EXPECT_TRUE(stranger.running()) << "ist stop signalled a process it did not start";
  EXPECT_FALSE(fs::exists(state_dir("a") + "/cluster.json"));
}

TEST_F(ClusterBookkeeping, StopLeavesAPidRecordedInAnotherBootAlone) {
  Bystander stranger;
  auto now = identify_process(stranger.pid());
  ASSERT_TRUE(now.ok()) << now.status().to_string();
  ProcessIdentity ours = *now;  // same pid and start time, but counted from another boot
  ours.boot_id = "00000000-0000-0000-0000-000000000000";
  ASSERT_NO_FATAL_FAILURE(record("a", {"tcp://127.0.0.1:1", {{"head", ours}}}));

  const Outcome stopped = run_ist({"stop"}, {state_env("a")}, seconds(30));
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_TRUE(contains(stopped.output,
                       "pid " + std::to_string(stranger.pid()) + " is no longer our head: not signalled"))
      << stopped.output;
  EXPECT_TRUE(stranger.running()) << "ist stop signalled a process it did not start";
}

TEST_F(ClusterBookkeeping, StopTerminatesAProcessWhoseIdentityMatchesItsRecord) {
  Bystander started;
  auto identity = identify_process(started.pid());
  ASSERT_TRUE(identity.ok()) << identity.status().to_string();
  ASSERT_NO_FATAL_FAILURE(record("a", {"tcp://127.0.0.1:1", {{"worker", *identity}}}));

  const Outcome stopped = run_ist({"stop"}, {state_env("a")}, seconds(30));
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_TRUE(contains(stopped.output, "stopped 1 process(es)")) << stopped.output;
  EXPECT_TRUE(started.ended_by(SIGTERM)) << stopped.output;
}

// A state file of an older ist holds bare pids: nothing proves them ours, so `ist stop` signals nothing,
// and neither stop nor start removes or overwrites the file: it is the user's to act on.
TEST_F(ClusterBookkeeping, BarePidsFromAnOlderStateFileAreNeitherSignalledNorOverwritten) {
  Bystander stranger;
  fs::create_directories(state_dir("a"));
  const std::string file = state_dir("a") + "/cluster.json";
  std::ofstream(file) << R"({"head_address": "tcp://127.0.0.1:1", "pids": [)" << stranger.pid() << "]}\n";

  const Outcome stopped = run_ist({"stop"}, {state_env("a")}, seconds(30));
  EXPECT_EQ(stopped.exit_code, 1) << stopped.output;
  EXPECT_TRUE(contains(stopped.output, file + " was written by an older ist")) << stopped.output;
  EXPECT_TRUE(stranger.running()) << "ist stop signalled a pid it cannot prove is its own";
  EXPECT_TRUE(fs::exists(file));

  BusyPort busy;  // should the check be missed, no head comes up either
  const Outcome started =
      run_ist({"start", "--head", "--port", std::to_string(busy.port())}, {state_env("a")}, seconds(30));
  EXPECT_EQ(started.exit_code, 1) << started.output;
  EXPECT_TRUE(contains(started.output, file + " was written by an older ist")) << started.output;
  EXPECT_TRUE(contains(read_text(file), std::to_string(stranger.pid())))
      << "ist start overwrote the record of processes it might not have stopped";
  fs::remove(file);  // so TearDown does not stop anything
}

TEST_F(ClusterBookkeeping, StartOnAPortInUseFailsNamingThePortAndStartsNoNode) {
  BusyPort busy;
  ASSERT_NE(busy.port(), 0);
  const std::string port = std::to_string(busy.port());
  const Outcome started =
      run_ist({"start", "--head", "--port", port, "--workers", "1"}, {state_env("a")}, seconds(30));
  EXPECT_NE(started.exit_code, 0) << started.output;
  EXPECT_TRUE(contains(started.output, "ist: cannot start a head on port " + port)) << started.output;
  EXPECT_TRUE(contains(started.output, "Address already in use")) << started.output;
  EXPECT_FALSE(contains(started.output, "started head")) << started.output;
  EXPECT_FALSE(fs::exists(state_dir("a") + "/cluster.json"));
  EXPECT_EQ(node_processes_mentioning(":" + port), 0);
}

// A head given an interface name instead of an address cannot be probed before it starts; its own
// failure to bind is still reported, with its reason, and nothing is left running.
TEST_F(ClusterBookkeeping, AHeadThatFailsToBindIsReportedWithItsOwnReason) {
  BusyPort busy;
  ASSERT_NE(busy.port(), 0);
  const std::string port = std::to_string(busy.port());
  const Outcome started = run_ist({"start", "--head", "--node-ip", "lo", "--port", port, "--workers", "1"},
                                  {state_env("a")}, seconds(30));
  EXPECT_NE(started.exit_code, 0) << started.output;
  EXPECT_TRUE(contains(started.output, "ist: the head did not come up on port " + port)) << started.output;
  EXPECT_TRUE(contains(started.output, "Address already in use")) << started.output;
  EXPECT_FALSE(fs::exists(state_dir("a") + "/cluster.json"));
  EXPECT_EQ(node_processes_mentioning(":" + port), 0);
}

// The case of the issue: a second `ist start --head` on the port of a running head used to print
// "started head" and exit 0 while its worker joined the other cluster.
TEST_F(ClusterBookkeeping, ASecondHeadOnTheSamePortFailsAndAddsNoWorkerToTheFirstCluster) {
  std::string port;
  {
    BusyPort chosen;  // released at once: the first head takes it
    port = std::to_string(chosen.port());
  }
  const Outcome first =
      run_ist({"start", "--head", "--port", port, "--workers", "1"}, {state_env("a")}, seconds(60));
  ASSERT_EQ(first.exit_code, 0) << first.output;

  const Outcome second =
      run_ist({"start", "--head", "--port", port, "--workers", "1"}, {state_env("b")}, seconds(60));
  EXPECT_NE(second.exit_code, 0) << second.output;
  EXPECT_TRUE(contains(second.output, "port " + port)) << second.output;
  EXPECT_TRUE(contains(second.output, "Address already in use")) << second.output;
  EXPECT_FALSE(fs::exists(state_dir("b") + "/cluster.json"));

  const Outcome status = run_ist({"status"}, {state_env("a")}, seconds(30));
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_TRUE(contains(status.output, "1 worker node(s) alive")) << status.output;
  const Outcome stopped = run_ist({"stop"}, {state_env("a")}, seconds(30));
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
}

// The head of a cluster started here is killed while its worker runs on: `ist start --head` on the same
// port starts a head again, keeps the worker recorded, and the worker joins it; `ist stop` stops both.
TEST_F(ClusterBookkeeping, AHeadThatDiedIsStartedAgainOnItsPortAndItsWorkersJoinIt) {
  std::string port;
  {
    BusyPort chosen;  // released at once: the head takes it
    port = std::to_string(chosen.port());
  }
  const Outcome first = run_ist({"start", "--head", "--port", port, "--workers", "1"}, {state_env("a")}, seconds(60));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  setenv("IST_STATE_DIR", state_dir("a").c_str(), 1);
  auto state = load_cluster_state();
  unsetenv("IST_STATE_DIR");
  ASSERT_TRUE(state.ok()) << state.status().to_string();
  ASSERT_EQ(state->processes.front().role, "head");
  const ProcessIdentity old_head = state->processes.front().identity;
  {
    auto head = ProvenProcess::open(old_head);
    ASSERT_TRUE(head.ok()) << head.status().to_string();
    ASSERT_TRUE(head->send(SIGKILL).ok());
    ASSERT_TRUE(head->wait_for_exit(std::chrono::steady_clock::now() + seconds(5)));
  }

  const Outcome again = run_ist({"start", "--head", "--port", port}, {state_env("a")}, seconds(60));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(contains(again.output, "starting it again for the 1 node(s) still running")) << again.output;
  bool rejoined = false;
  for (const auto deadline = std::chrono::steady_clock::now() + seconds(15);
       !rejoined && std::chrono::steady_clock::now() < deadline;) {
    const Outcome status = run_ist({"status"}, {state_env("a")}, seconds(30));
    rejoined = contains(status.output, "1 worker node(s) alive");
  }
  EXPECT_TRUE(rejoined) << "the worker did not join the head started again\n" << node_logs("a");
  const Outcome stopped = run_ist({"stop"}, {state_env("a")}, seconds(30));
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
  EXPECT_TRUE(contains(stopped.output, "stopped 2 process(es)")) << stopped.output;
}

// A worker that cannot bind (here: an address not on this host, from TEST-NET-1) fails the start at once,
// with its own reason, instead of after the 30 s join wait; the start stops what it brought up.
TEST_F(ClusterBookkeeping, AWorkerThatCannotBindFailsTheStartWithItsReason) {
  std::string port;
  {
    BusyPort chosen;  // released at once: the head takes it
    port = std::to_string(chosen.port());
  }
  const Outcome head = run_ist({"start", "--head", "--port", port}, {state_env("a")}, seconds(60));
  ASSERT_EQ(head.exit_code, 0) << head.output;

  // Host b was given the cluster's key, as `ist start --head` prints it in the join command.
  std::ifstream key_file(state_dir("a") + "/cluster.key");
  std::string key;
  std::getline(key_file, key);
  const Outcome joined =
      run_ist({"start", "--address", "127.0.0.1:" + port, "--node-ip", "192.0.2.1", "--workers", "1"},
              {state_env("b"), "IST_CLUSTER_KEY=" + key}, seconds(60));
  EXPECT_EQ(joined.exit_code, 1) << joined.output;
  EXPECT_TRUE(contains(joined.output, "ist: the worker nodes did not all come up: worker ")) << joined.output;
  EXPECT_TRUE(contains(joined.output, "binding tcp://192.0.2.1:*")) << joined.output;
  // What the failed start brought up it stopped, and it left no record behind.
  EXPECT_TRUE(contains(joined.output, "stopped the 1 node(s) this start brought up")) << joined.output;
  EXPECT_FALSE(fs::exists(state_dir("b") + "/cluster.json"));
  const Outcome stopped = run_ist({"stop"}, {state_env("a")}, seconds(30));
  EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
}

// Usage errors: exit code 2, one line naming the flag and its valid range, and nothing started or written.
void expect_usage_error(const Outcome& o, const std::string& flag, const std::string& range) {
  EXPECT_EQ(o.exit_code, 2) << o.output;
  EXPECT_EQ(o.output.rfind("ist: " + flag, 0), 0u) << o.output;
  EXPECT_TRUE(contains(o.output, range)) << o.output;
  EXPECT_EQ(std::count(o.output.begin(), o.output.end(), '\n'), 1) << o.output;
}

TEST_F(ClusterBookkeeping, PortsOutsideOneTo65535AreUsageErrorsAndStartNothing) {
  for (const char* port : {"70000", "65536", "-1", "0"}) {
    SCOPED_TRACE(port);
    const Outcome o =
        run_ist({"start", "--head", "--port", port, "--workers", "1"}, {state_env("a")}, seconds(30));
    expect_usage_error(o, "--port", "1 to 65535");
    EXPECT_FALSE(fs::exists(state_dir("a"))) << "nothing may be started or written";
  }
}

TEST_F(ClusterBookkeeping, WorkerCountsOutOfRangeAreUsageErrorsAndStartNothing) {
  const std::vector<std::vector<std::string>> cases = {
      {"start", "--head", "--workers", "-1"},
      {"start", "--head", "--workers", "257"},
      {"start", "--address", "127.0.0.1:6380", "--workers", "0"},
      {"start", "--address", "127.0.0.1:6380"},  // joining with no worker would start nothing
  };
  for (const auto& args : cases) {
    SCOPED_TRACE(args.back());
    const Outcome o = run_ist(args, {state_env("a")}, seconds(30));
    expect_usage_error(o, "--workers", args[1] == "--head" ? "0 to 256" : "1 to 256");
    EXPECT_FALSE(fs::exists(state_dir("a"))) << "nothing may be started or written";
  }
}

TEST_F(ClusterBookkeeping, AddressesWithAPortOutOfRangeAreUsageErrors) {
  const std::string config = (dir_ / "tiny.toml").string();
  std::ofstream(config) << "name = \"tiny\"\n";
  const std::vector<std::vector<std::string>> cases = {
      {"start", "--address", "127.0.0.1:70000", "--workers", "1"},
      {"status", "--address", "127.0.0.1:0"},
      {"run", config, "--address", "127.0.0.1:-1", "--out", (dir_ / "run").string()},
  };
  for (const auto& args : cases) {
    SCOPED_TRACE(args[0]);
    expect_usage_error(run_ist(args, {state_env("a")}, seconds(30)), "--address", "a port from 1 to 65535");
  }
  EXPECT_FALSE(fs::exists(dir_ / "run"));
}

// The run directory is runs/NAME-TIMESTAMP under the working directory; a NAME that leaves runs/ is refused.
TEST_F(ClusterBookkeeping, ASimulationWhoseNameLeavesRunsIsRefusedAndWritesNothing) {
  fs::create_directories(dir_ / "cwd");
  const std::string config = (dir_ / "escape.toml").string();
  std::ofstream(config) << "name = \"../escaped\"\n[model]\nwidths = [784, 8, 10]\n[algorithm]\nrounds = 1\n";
  const Outcome o = run_ist({"simulate", config, "--quiet"}, {}, seconds(60), (dir_ / "cwd").string());
  EXPECT_EQ(o.exit_code, 1) << o.output;
  // The config reader may refuse the name before the run directory does: either way it is named.
  EXPECT_EQ(o.output.rfind("ist: invalid argument: ", 0), 0u) << o.output;
  EXPECT_TRUE(contains(o.output, "'../escaped'")) << o.output;
  EXPECT_TRUE(fs::is_empty(dir_ / "cwd")) << "not even runs/ may be made";
}

}  // namespace
}  // namespace ist::cli
