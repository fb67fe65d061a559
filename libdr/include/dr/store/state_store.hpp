// The state file: kafka-dr's memory (SQLite).
//
// Two ways to open it:
// - read_write (dr-mirror, dr-failover): creates a missing file with mode 0600 (create_if_missing),
//   checks it is an intact SQLite database of kafka-dr, refuses one written by a newer kafka-dr,
//   switches it to WAL and applies pending migrations. Needs the file and its directory writable
//   (SQLite keeps its -wal and -shm files next to the state file).
// - read_only (dr-status, dr-translate-offsets): never creates, migrates, chmods or writes the file;
//   the connection itself is read-only. Works on a read-only file system and in a directory that is
//   not writable (WAL included). A missing, empty or not yet migrated file is an error, not a prompt
//   to create one. SQLite may create the -wal/-shm companions of a WAL file when the directory is
//   writable, as every SQLite reader does; the state file itself is never touched.
// Either way, a file that is not a state file, is corrupt, or has another schema version than a
// reader can read is never modified. An existing file's mode is left alone; a file group or others
// can access is reported with a warning.
//
// Errors: dr::Error —
//   bad_input: missing (read_only, or create_if_missing=false), empty or schema-less (read_only),
//              not a regular file (directory, FIFO, device, socket), not SQLite, not kafka-dr's,
//              corrupt (SQLite says so);
//   refused:   schema newer than this binary; with read_only also older (a reader does not upgrade);
//   io:        the file or its directory is not writable (read_write), cannot be read, or SQLite
//              fails otherwise: the message names the path and the system's reason.
// Thread-safety: one StateStore per thread; several processes may share a file (WAL, busy timeout).
#pragma once

#include <memory>
#include <string>

namespace dr::store {

enum class Access { read_write, read_only };

struct OpenOptions {
  bool create_if_missing = true;  // read_write only
  Access access = Access::read_write;
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
  bool read_only() const;

  struct Impl;  // defined in libdr's private store headers
  explicit StateStore(std::unique_ptr<Impl> impl);
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dr::store
