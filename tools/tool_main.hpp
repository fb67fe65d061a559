// Shared glue for the tools' mains: parse flags with CLI11, run the body, map errors to exit codes.
// No logic lives here; see libdr.
#pragma once

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <exception>

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

// --log-level on every tool.
inline void add_log_level(CLI::App& app, std::string& level) {
  app.add_option("--log-level", level, "Diagnostics on stderr: debug, info, warn, error, off")->default_val("info");
}

}  // namespace dr::tools
