// A process-wide stop request: SIGINT or SIGTERM (once install_stop_signal_handlers() ran), or
// request_stop(). Long work polls it at every wait: dr-mirror stops cleanly (in-flight records land,
// the mapping is persisted), dr-drill stops the drill, cleans up what it created and records it as
// failed ("interrupted by SIGTERM"). The handler only stores to lock-free atomics.
#pragma once

#include <atomic>
#include <chrono>

namespace dr {

std::atomic<bool>& stop_requested() noexcept;
// The signal that asked to stop (SIGINT, SIGTERM), or 0 (not asked, or request_stop()).
int stop_signal() noexcept;
void request_stop() noexcept;
// Installs SIGINT and SIGTERM handlers that request a stop. A second signal of either kind while a
// stop is already requested ends the process at once (the default action), for an operator who
// does not want to wait for the clean-up.
void install_stop_signal_handlers();
// Sleeps until `deadline` or a stop request, whichever comes first (checked every 50 ms); false
// when a stop was requested.
bool sleep_until_or_stop(std::chrono::steady_clock::time_point deadline);
// "SIGTERM", "SIGINT", or "a stop request".
const char* stop_reason() noexcept;

}  // namespace dr
