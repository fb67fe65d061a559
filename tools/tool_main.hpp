// Shared glue for the tools' mains: parse flags with CLI11, run the body, map errors to exit codes.
// No logic lives here; see libdr.
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <limits>
#include <string>

#include "dr/error.hpp"
#include "dr/log.hpp"

namespace dr::tools {

constexpr const char* kExitCodesHelp =
    "Exit codes: 0 ok; 1 operational failure (Kafka, I/O) or partly done; 2 bad input (flags, config, "
    "files), nothing changed; 3 refused by a safety check, nothing changed.";

template <typename Body>
int run_tool(CLI::App& app, int argc, char** argv, Body&& body) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_bad_input;
  }
  try {
    return body();
  } catch (const Error& e) {
    fmt::print(stderr, "{}: {}: {}\n", app.get_name(), to_string(e.kind()), e.what());
    return exit_code_for(e.kind());
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: internal error: {}\n", app.get_name(), e.what());
    return exit_failure;
  }
}

// Intervals and timeouts in milliseconds: at most a week (longer ones are typing mistakes, and
// would overflow clock arithmetic near int64's limit).
constexpr int64_t kMaxDurationMs = 7LL * 24 * 3600 * 1000;

// Every integer flag: a plain decimal number in [min, max], or an error naming the flag
// ("--offset: -5 is out of range: 0 or more"). CLI11's own integer parsing reads "010" as octal 8
// and "0x10" as 16, and clamps values beyond int64 to its maximum; this check runs on the text
// first, so nothing is wrapped, clamped or read in another base.
inline CLI::Validator integer_in(int64_t min, int64_t max) {
  auto range = [min, max] {
    if (max == std::numeric_limits<int64_t>::max() || max == std::numeric_limits<int32_t>::max()) {
      return fmt::format("{} or more", min);
    }
    return fmt::format("{} to {}", min, max);
  };
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        const char* begin = text.data();
        const char* end = begin + text.size();
        const char* digits = begin + (!text.empty() && text[0] == '-');
        if (digits == end || *digits < '0' || *digits > '9') return fmt::format("'{}' is not a whole number", text);
        if (*digits == '0' && digits + 1 != end) {
          return fmt::format("'{}': write decimal numbers without leading zeros or a 0x prefix", text);
        }
        int64_t value = 0;
        auto [stop, ec] = std::from_chars(begin, end, value);
        if (stop != end && ec != std::errc::result_out_of_range) return fmt::format("'{}' is not a whole number", text);
        if (ec == std::errc::result_out_of_range || value < min || value > max) {
          return fmt::format("{} is out of range: {}", text, range());
        }
        return {};
      },
      fmt::format("INT {}", range()));
}

// --log-level on every tool.
inline void add_log_level(CLI::App& app, std::string& level) {
  app.add_option("--log-level", level, "Diagnostics on stderr: debug, info, warn, error, off")->default_val("info");
}

}  // namespace dr::tools
