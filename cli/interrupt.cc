#include "cli/interrupt.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

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

// Threads started before the watcher (e.g. a BLAS library's pool, made while the program loads) do not
// block the signals, and the kernel may hand one of them a process-wide SIGINT. This handler runs in such
// a thread and passes the signal on to the watcher thread alone (tgkill is async-signal-safe).
std::atomic<pid_t> watcher_tid{0};
void pass_to_watcher(int sig) {
  const pid_t tid = watcher_tid.load();
  if (tid != 0) ::syscall(SYS_tgkill, ::getpid(), tid, sig);
}
struct sigaction previous_int, previous_term;
}  // namespace

InterruptWatcher::InterruptWatcher() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    watcher_tid.store(static_cast<pid_t>(::syscall(SYS_gettid)));
    const timespec tick{0, 100'000'000};  // a safety net: the destructor wakes the watcher at once
    while (!done_.load()) {
      const int sig = sigtimedwait(&set, nullptr, &tick);
      if (done_.load()) break;  // the program is ending (the destructor's wake-up, or a signal just then)
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
  while (watcher_tid.load() == 0) std::this_thread::yield();
  struct sigaction pass {};
  pass.sa_handler = pass_to_watcher;
  sigemptyset(&pass.sa_mask);
  pass.sa_flags = SA_RESTART;
  sigaction(SIGINT, &pass, &previous_int);
  sigaction(SIGTERM, &pass, &previous_term);
}

InterruptWatcher::~InterruptWatcher() {
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
  done_.store(true);
  // Wakes the watcher now rather than at its next tick (up to 100 ms on the way out of every command).
  ::syscall(SYS_tgkill, ::getpid(), watcher_tid.load(), SIGTERM);
  thread_.join();
  watcher_tid.store(0);
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
}

}  // namespace ist::cli
