#include "dr/stop.hpp"

#include <signal.h>

#include <thread>

namespace dr {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

extern "C" void on_stop_signal(int signal_number) {
  if (g_stop.load()) {
    // Asked twice: the operator does not want to wait. Default action (terminate) from here on.
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
    return;
  }
  g_signal.store(signal_number);
  g_stop.store(true);
}

}  // namespace

std::atomic<bool>& stop_requested() noexcept { return g_stop; }
int stop_signal() noexcept { return g_signal.load(); }
void request_stop() noexcept { g_stop.store(true); }

void install_stop_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool sleep_until_or_stop(std::chrono::steady_clock::time_point deadline) {
  using namespace std::chrono_literals;
  while (!g_stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return true;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(50ms, deadline - now));
  }
  return false;
}

const char* stop_reason() noexcept {
  switch (g_signal.load()) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return "a stop request";
  }
}

}  // namespace dr
