#include "dr/store/state_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "store/state_store_impl.hpp"

namespace dr::store {

namespace {

constexpr char kSqliteMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

// Checks an existing file looks like SQLite before SQLite touches it.
void check_existing_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw_bad_input("state file path is a directory", {.file = path});
  auto size = fs::file_size(path, ec);
  if (ec) throw Error(ErrorKind::io, fmt::format("cannot stat state file: {}", ec.message()), {.file = path});
  if (size == 0) return;  // an empty file is a new database to SQLite
  std::ifstream in(path, std::ios::binary);
  char head[16] = {};
  if (!in.read(head, sizeof head) || std::memcmp(head, kSqliteMagic, sizeof head) != 0) {
    throw_bad_input("not a kafka-dr state file (not an SQLite database); it was not modified. Check --state / "
                    "DR_STATE",
                    {.file = path});
  }
}

void create_private_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) {
    throw Error(ErrorKind::io, fmt::format("cannot create state file: {}", std::strerror(errno)), {.file = path});
  }
  if (fd >= 0) ::close(fd);
}

void check_integrity(Db& db) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db.get(), "PRAGMA quick_check", -1, &raw, nullptr);
  StmtHandle st{raw};
  std::string problems;
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st.get(), 0);
      std::string line = t ? reinterpret_cast<const char*>(t) : "";
      if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
    }
  }
  if (rc != SQLITE_DONE && problems.empty()) problems = sqlite3_errmsg(db.get());
  if (!problems.empty()) {
    throw_bad_input(fmt::format("state file is corrupt ({}); it was not modified. Restore it from a backup or move "
                                "it aside: kafka-dr rebuilds a conservative mapping on a new file",
                                problems),
                    {.file = db.path()});
  }
}

std::string pragma_text(Db& db, const char* sql) {
  Statement st(db, sql);
  return st.step() ? st.column_text(0) : std::string();
}

}  // namespace

StateStore open_state_store(const std::string& path, const OpenOptions& options, std::span<const Migration> migrations) {
  const bool memory = path == ":memory:";
  if (!memory) {
    if (std::filesystem::exists(path)) {
      check_existing_file(path);
    } else if (options.create_if_missing) {
      create_private_file(path);
    } else {
      throw_bad_input("state file does not exist", {.file = path});
    }
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | (memory ? SQLITE_OPEN_CREATE : 0), nullptr);
  Db db(DbHandle{raw}, path);
  if (rc != SQLITE_OK) {
    throw Error(ErrorKind::io, fmt::format("cannot open state file: {}", raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)),
                {.file = path});
  }
  sqlite3_busy_timeout(db.get(), options.busy_timeout_ms);
  sqlite3_extended_result_codes(db.get(), 1);
  // Read-only checks first: nothing is written before we know the file is ours and not too new.
  check_integrity(db);
  int version = read_user_version(db);
  if (version > static_cast<int>(migrations.size())) migrate(db, migrations);  // throws refused
  if (!memory) {
    std::string mode = pragma_text(db, "PRAGMA journal_mode=WAL");
    if (mode != "wal") db.fail(fmt::format("cannot switch to WAL journal (got '{}')", mode));
    ::chmod(path.c_str(), 0600);
  }
  db.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
  migrate(db, migrations);
  auto impl = std::unique_ptr<StateStore::Impl>(new StateStore::Impl{std::move(db), 0});
  impl->schema_version = read_user_version(impl->db);
  return StateStore(std::move(impl));
}

StateStore StateStore::open(const std::string& path, const OpenOptions& options) {
  return open_state_store(path, options, builtin_migrations());
}

int StateStore::latest_schema_version() { return static_cast<int>(builtin_migrations().size()); }

std::string StateStore::default_path() {
  const char* env = std::getenv("DR_STATE");
  return env && *env ? env : "dr-state.db";
}

StateStore::StateStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StateStore::StateStore(StateStore&&) noexcept = default;
StateStore& StateStore::operator=(StateStore&&) noexcept = default;
StateStore::~StateStore() = default;

const std::string& StateStore::path() const { return impl_->db.path(); }
int StateStore::schema_version() const { return impl_->schema_version; }

}  // namespace dr::store
