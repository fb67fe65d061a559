// dr::Error — the single error path of libdr.
//
// Every libdr function reports failure by throwing dr::Error (never by return codes, never by
// other exception types escaping the library). An Error carries a kind, which tools map to
// documented exit codes, and the context an operator needs: the file and line, the cluster, the
// topic, partition and offset, and the librdkafka error name where there is one.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace dr {

enum class ErrorKind {
  bad_input,  // flags, config files, regexes, times, state file contents: the caller must fix input
  refused,    // a safety check refused the operation (newer state file, fenced link, same cluster)
  kafka,      // a Kafka operation failed (unreachable cluster, delivery failure, admin error)
  access,     // a cluster refused us: authentication failed (SASL credentials, TLS handshake) or not
              // authorized (ACLs). Never retried as an outage: waiting does not fix credentials.
  io,         // the file system or SQLite failed
  internal,   // a broken invariant inside libdr: a bug
};

// Exit codes shared by every tool (documented in README.md and runbooks/).
enum ExitCode : int {
  exit_ok = 0,
  exit_failure = 1,    // operational failure (Kafka, I/O), or partly done
  exit_bad_input = 2,  // invalid flags, config, or input files; nothing was changed
  exit_refused = 3,    // refused by a safety check; nothing was changed
};

int exit_code_for(ErrorKind kind) noexcept;
const char* to_string(ErrorKind kind) noexcept;

// Where an error happened. Every field is optional; what() renders the ones that are set.
struct ErrorContext {
  std::string file;                  // file path (config file, state file)
  int line = 0;                      // 1-based line in `file`, 0 = none
  std::string flag;                  // command-line flag, e.g. "--whitelist"
  std::string cluster;               // cluster alias, id or bootstrap servers
  std::string topic;
  std::optional<int32_t> partition;
  std::optional<int64_t> offset;
  std::string kafka_error;           // librdkafka error name, e.g. "_TRANSPORT"
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message, ErrorContext context = {});

  ErrorKind kind() const noexcept { return kind_; }
  const std::string& message() const noexcept { return message_; }
  const ErrorContext& context() const noexcept { return context_; }

 private:
  ErrorKind kind_;
  std::string message_;
  ErrorContext context_;
};

// Shorthands for the common kinds.
[[noreturn]] void throw_bad_input(std::string message, ErrorContext context = {});
[[noreturn]] void throw_refused(std::string message, ErrorContext context = {});

}  // namespace dr
