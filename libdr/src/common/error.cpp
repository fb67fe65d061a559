#include "dr/error.hpp"

#include <fmt/format.h>

namespace dr {

namespace {

std::string render(const std::string& message, const ErrorContext& c) {
  std::string out;
  if (!c.file.empty()) {
    out += c.line > 0 ? fmt::format("{}:{}: ", c.file, c.line) : fmt::format("{}: ", c.file);
  }
  if (!c.flag.empty()) out += fmt::format("{}: ", c.flag);
  out += message;
  std::string where;
  auto add = [&where](const std::string& part) { where += where.empty() ? part : ", " + part; };
  if (!c.cluster.empty()) add(fmt::format("cluster {}", c.cluster));
  if (!c.topic.empty()) add(fmt::format("topic {}", c.topic));
  if (c.partition) add(fmt::format("partition {}", *c.partition));
  if (c.offset) add(fmt::format("offset {}", *c.offset));
  if (!c.kafka_error.empty()) add(fmt::format("error {}", c.kafka_error));
  if (!where.empty()) out += fmt::format(" ({})", where);
  return out;
}

}  // namespace

Error::Error(ErrorKind kind, std::string message, ErrorContext context)
    : std::runtime_error(render(message, context)),
      kind_(kind),
      message_(std::move(message)),
      context_(std::move(context)) {}

int exit_code_for(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::bad_input: return exit_bad_input;
    case ErrorKind::refused: return exit_refused;
    case ErrorKind::kafka:
    case ErrorKind::access:
    case ErrorKind::io:
    case ErrorKind::internal: return exit_failure;
  }
  return exit_failure;
}

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::bad_input: return "bad input";
    case ErrorKind::refused: return "refused";
    case ErrorKind::kafka: return "kafka error";
    case ErrorKind::access: return "access denied";
    case ErrorKind::io: return "i/o error";
    case ErrorKind::internal: return "internal error";
  }
  return "error";
}

void throw_bad_input(std::string message, ErrorContext context) {
  throw Error(ErrorKind::bad_input, std::move(message), std::move(context));
}

void throw_refused(std::string message, ErrorContext context) {
  throw Error(ErrorKind::refused, std::move(message), std::move(context));
}

}  // namespace dr
