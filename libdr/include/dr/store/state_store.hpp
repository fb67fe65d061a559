// The state file: kafka-dr's memory (SQLite).
//
// Opening a state file creates it if missing (mode 0600), checks it is an intact SQLite database,
// refuses one written by a newer kafka-dr, switches it to WAL and applies pending migrations.
// A file that is not a state file, is corrupt, or is too new is never modified.
//
// Errors: dr::Error — bad_input (not SQLite, corrupt, missing with create=false, a directory),
// refused (schema newer than this binary), io (SQLite or file system failures).
// Thread-safety: one StateStore per thread; several processes may share a file (WAL, busy timeout).
#pragma once

#include <memory>
#include <string>

namespace dr::store {

struct OpenOptions {
  bool create_if_missing = true;
  int busy_timeout_ms = 10000;
};

class StateStore {
 public:
  // Path ":memory:" opens a private in-memory store (tests).
  static StateStore open(const std::string& path, const OpenOptions& options = {});
  // The schema version the newest embedded migration creates.
  static int latest_schema_version();
  // Default path: $DR_STATE if set, else ./dr-state.db.
  static std::string default_path();

  StateStore(StateStore&&) noexcept;
  StateStore& operator=(StateStore&&) noexcept;
  ~StateStore();

  const std::string& path() const;
  int schema_version() const;

  struct Impl;  // defined in libdr's private store headers
  explicit StateStore(std::unique_ptr<Impl> impl);
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dr::store
