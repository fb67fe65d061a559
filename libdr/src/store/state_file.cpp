#include "store/state_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/log.hpp"

namespace dr::store {

namespace {

namespace fs = std::filesystem;

constexpr char kSqliteMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void throw_not_a_state_file(const std::string& path, mode_t mode) {
  throw_bad_input(fmt::format("not a state file: the path is {}; it was not opened. Check --state / DR_STATE", file_kind(mode)),
                  {.file = path});
}

// errno of the kernel's write-access check, 0 if writable. AT_EACCESS: the effective ids, as open() uses.
int write_access_error(const std::string& path) {
  return ::faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) == 0 ? 0 : errno;
}

// Size of a companion file (-wal, -shm, -journal); -1 if there is none.
int64_t companion_size(const std::string& path) {
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0) return -1;
  return static_cast<int64_t>(sb.st_size);
}

std::string uri_escape(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '-' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

StateFileFacts inspect_state_file(const std::string& path) {
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0) {
    if (errno == ENOENT) return {};
    throw Error(ErrorKind::io, fmt::format("cannot look at the state file: {}", std::strerror(errno)), {.file = path});
  }
  if (!S_ISREG(sb.st_mode)) throw_not_a_state_file(path, sb.st_mode);
  // O_NONBLOCK: should the path turn into a FIFO after stat, open must not wait for a writer.
  Fd f{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)};
  if (f.fd < 0) throw Error(ErrorKind::io, fmt::format("cannot read the state file: {}", std::strerror(errno)), {.file = path});
  if (::fstat(f.fd, &sb) != 0) {
    throw Error(ErrorKind::io, fmt::format("cannot look at the state file: {}", std::strerror(errno)), {.file = path});
  }
  if (!S_ISREG(sb.st_mode)) throw_not_a_state_file(path, sb.st_mode);
  StateFileFacts facts{true, static_cast<uint64_t>(sb.st_size), sb.st_mode & 07777};
  if (facts.size == 0) return facts;
  char head[sizeof kSqliteMagic] = {};
  ssize_t got = 0;
  while (got < static_cast<ssize_t>(sizeof head)) {
    ssize_t n = ::pread(f.fd, head + got, sizeof head - static_cast<size_t>(got), got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(ErrorKind::io, fmt::format("cannot read the state file: {}", std::strerror(errno)), {.file = path});
    if (n == 0) break;
    got += n;
  }
  if (got != static_cast<ssize_t>(sizeof head) || std::memcmp(head, kSqliteMagic, sizeof head) != 0) {
    throw_bad_input("not a kafka-dr state file (not an SQLite database); it was not modified. Check --state / DR_STATE",
                    {.file = path});
  }
  return facts;
}

std::string state_file_directory(const std::string& path) {
  const fs::path dir = fs::path(path).parent_path();
  return dir.empty() ? std::string(".") : dir.string();
}

void require_writable(const std::string& path, const StateFileFacts& facts) {
  if (facts.exists) {
    if (int e = write_access_error(path)) {
      throw Error(ErrorKind::io,
                  fmt::format("the state file is not writable ({}); this tool records its work in it. The file is "
                              "intact and was not modified: dr-status and dr-translate-offsets can read it where it is",
                              std::strerror(e)),
                  {.file = path});
    }
  }
  const std::string dir = state_file_directory(path);
  if (int e = write_access_error(dir)) {
    if (e == ENOENT) throw Error(ErrorKind::io, fmt::format("the directory {} does not exist", dir), {.file = path});
    throw Error(ErrorKind::io,
                fmt::format("the directory {} is not writable ({}): SQLite keeps the state file's -wal and -shm files "
                            "next to it{}",
                            dir, std::strerror(e),
                            facts.exists ? ". The file is intact and was not modified: dr-status and dr-translate-offsets "
                                           "can read it where it is"
                                         : ", so the state file cannot be created there"),
                {.file = path});
  }
}

void warn_if_too_open(const std::string& path, const StateFileFacts& facts) {
  if (!facts.exists || (facts.mode & 077) == 0) return;
  dr::log::warn("{}: the state file has mode {:04o}: group or others can access it (it records cluster addresses and "
                "the failover audit). Left as it is; to restrict it: chmod 600 {}",
                path, static_cast<unsigned>(facts.mode), path);
}

void create_private_file(const std::string& path) {
  Fd f{::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (f.fd < 0 && errno != EEXIST) {
    throw Error(ErrorKind::io, fmt::format("cannot create the state file: {}", std::strerror(errno)), {.file = path});
  }
}

std::string read_only_uri(const std::string& path) {
  std::string uri = "file://" + uri_escape(fs::absolute(path).string()) + "?mode=ro";
  const std::string dir = state_file_directory(path);
  if (write_access_error(dir) == 0) return uri;  // SQLite can create the -shm a WAL reader needs
  const int64_t wal = companion_size(path + "-wal");
  if (wal > 0) {
    if (companion_size(path + "-shm") >= 0) return uri;  // SQLite reads both without writing
    throw Error(ErrorKind::io,
                fmt::format("the state file's write-ahead log {}-wal holds changes not yet in the file, and SQLite "
                            "needs to create {}-shm to read them, but the directory {} is not writable ({}). Nothing "
                            "was modified; copy the state file together with its -wal to a writable directory and "
                            "read the copy",
                            path, path, dir, std::strerror(write_access_error(dir))),
                {.file = path});
  }
  if (companion_size(path + "-journal") > 0) {
    throw Error(ErrorKind::io,
                fmt::format("the state file has a rollback journal {}-journal (an interrupted write) and the directory "
                            "{} is not writable ({}), so it cannot be read consistently. Nothing was modified; copy "
                            "the state file with its -journal to a writable directory and read the copy",
                            path, dir, std::strerror(write_access_error(dir))),
                {.file = path});
  }
  // No -wal or -journal holds changes, so the file itself is complete; a writer would first have to
  // create its -wal in this directory, which we could not. That is what immutable=1 promises SQLite.
  return uri + "&immutable=1";
}

}  // namespace dr::store
