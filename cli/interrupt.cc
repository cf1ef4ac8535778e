#include "cli/interrupt.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "cli/program.h"

namespace ist::cli {

namespace {
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}
}  // namespace

InterruptWatcher::InterruptWatcher() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    const timespec tick{0, 100'000'000};  // how soon the destructor is noticed
    while (!done_.load()) {
      const int sig = sigtimedwait(&set, nullptr, &tick);
      if (sig != SIGINT && sig != SIGTERM) continue;
      if (requested_.load()) {
        std::fprintf(stderr,
                     "\nist: stopped at once (second %s); resume from the last checkpoint with --resume\n",
                     sig == SIGINT ? "SIGINT" : "SIGTERM");
        std::fflush(stderr);
        std::_Exit(kExitInterrupted);
      }
      signal_name_.store(sig == SIGINT ? "SIGINT" : "SIGTERM");
      requested_.store(true);
      std::fprintf(
          stderr,
          "\nist: interrupted (%s): finishing this round, then saving a checkpoint, the model and the "
          "summary (again to stop at once)\n",
          sig == SIGINT ? "SIGINT" : "SIGTERM");
      std::fflush(stderr);
    }
  });
}

InterruptWatcher::~InterruptWatcher() {
  done_.store(true);
  thread_.join();
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace ist::cli
