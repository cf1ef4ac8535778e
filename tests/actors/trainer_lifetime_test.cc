// A cluster used for many runs: every run's trainers end with it, so a worker's threads and memory stay
// flat however many runs it serves.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>

#include "actors/driver.h"
#include "tests/actors/cluster_fixture.h"

namespace ist::actors {
namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

// A field of /proc/PID/status ("Threads", "VmRSS" in kB), or -1.
long proc_status(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

class TrainerLifetime : public testing::TrainerCluster {
 protected:
  // One short IST run from a driver node of its own, which leaves when the run is over.
  void run_once(const Dataset& test) {
    rt::NodeOptions o;
    o.role = rt::NodeRole::kDriver;
    o.name = "driver";
    o.head_endpoint = head->endpoint();
    auto node = rt::Node::start(o);
    ASSERT_TRUE(node.ok()) << node.status().to_string();
    DriverOptions d;
    d.training.widths = {784, 32, 10};
    d.training.workers = 2;
    d.training.rounds = 1;
    d.training.local_steps = 2;
    d.training.batch_size = 32;
    d.training.sgd.warmup_epochs = 0;
    d.data.path = kData;
    Driver driver((*node)->client(), d, test);
    ASSERT_TRUE(driver.start(worker_ids()).ok());
    ASSERT_TRUE(driver.run().ok());
  }
};

TEST_F(TrainerLifetime, TwentyRunsOnOneClusterLeaveTheWorkersThreadsAndMemoryFlat) {
  start_cluster(1);
  const pid_t worker = cluster->pids().at(0);
  const long idle_threads = proc_status(worker, "Threads");
  ASSERT_GT(idle_threads, 0);
  const Dataset test = load_idx_dataset(kData, Split::kTest).value();
  long rss_after_first = 0;
  for (int run = 1; run <= 20; ++run) {
    run_once(test);
    // The worker hears the driver left, then its trainers' threads end: wait for that, bounded.
    // (Polled: the kernel has no event for "a process's thread count changed".)
    const auto deadline = rt::deadline_in(std::chrono::seconds(10));
    while (proc_status(worker, "Threads") != idle_threads && rt::Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(proc_status(worker, "Threads"), idle_threads) << "run " << run << " left trainer threads behind";
    if (run == 1) rss_after_first = proc_status(worker, "VmRSS");
  }
  const long rss_after_last = proc_status(worker, "VmRSS");
  std::printf("worker RSS after run 1: %ld MiB, after run 20: %ld MiB\n", rss_after_first / 1024, rss_after_last / 1024);
  // One run's two trainers hold a whole copy of the training set (188 MB): a leak of even one would show.
  EXPECT_LT(rss_after_last - rss_after_first, 64 * 1024) << "kB";
}

}  // namespace
}  // namespace ist::actors
