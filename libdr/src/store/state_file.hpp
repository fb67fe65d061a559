// The state file as a file: what is at the path, who may write it, how SQLite should open it
// (private to libdr). Everything here but create_private_file only looks: nothing is created, opened for
// writing or chmod'ed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace dr::store {

struct StateFileFacts {
  bool exists = false;
  uint64_t size = 0;
  mode_t mode = 0;  // permission bits
};

// Looks at the path without following it into a FIFO or device (never blocks). Throws
// dr::Error(bad_input) for a directory, FIFO, device or socket ("not a state file") and for a
// non-empty file that does not start with the SQLite header; dr::Error(io) if it cannot be read.
StateFileFacts inspect_state_file(const std::string& path);

// The directory SQLite creates the -wal, -shm and -journal files in.
std::string state_file_directory(const std::string& path);

// Throws dr::Error(io) naming the path and the system's reason (EROFS, EACCES, EPERM for an
// immutable file) unless this process may write the file (if it exists) and its directory.
// Uses the kernel's check, which also holds for root on a read-only mount.
void require_writable(const std::string& path, const StateFileFacts& facts);

// Logs a warning if group or others have any access to the file (it is left as it is).
void warn_if_too_open(const std::string& path, const StateFileFacts& facts);

// Creates a missing state file with mode 0600 (never changes an existing one).
void create_private_file(const std::string& path);

// The SQLite URI a read-only connection uses: mode=ro, plus immutable=1 where SQLite could not
// otherwise read a WAL file (no -shm and a directory that is not writable) and immutable is safe
// (no -wal or hot -journal holds changes). Throws dr::Error(io) when the file cannot be read
// without writing (a -wal with changes, no -shm, directory not writable).
std::string read_only_uri(const std::string& path);

}  // namespace dr::store
