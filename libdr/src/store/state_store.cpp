#include "dr/store/state_store.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "store/state_file.hpp"
#include "store/state_store_impl.hpp"

namespace dr::store {

namespace {

bool is_corruption(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

[[noreturn]] void throw_corrupt(const std::string& path, const std::string& problems) {
  throw_bad_input(fmt::format("state file is corrupt ({}); it was not modified. Restore it from a backup or move it "
                              "aside: kafka-dr rebuilds a conservative mapping on a new file",
                              problems),
                  {.file = path});
}

// An SQLite failure that is not corruption: say what SQLite and the system said, never "corrupt".
[[noreturn]] void throw_sqlite_io(sqlite3* db, int rc, const std::string& path, const std::string& doing) {
  const int sys = db ? sqlite3_system_errno(db) : 0;
  throw Error(ErrorKind::io,
              fmt::format("cannot {} the state file: {}{}{}", doing, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc),
                          sys ? ": " : "", sys ? std::strerror(sys) : ""),
              {.file = path});
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
  if (!problems.empty()) throw_corrupt(db.path(), problems);
  if (rc == SQLITE_DONE) return;
  if (is_corruption(rc)) throw_corrupt(db.path(), sqlite3_errmsg(db.get()));
  throw_sqlite_io(db.get(), rc, db.path(), "read");
}

std::string pragma_text(Db& db, const char* sql) {
  Statement st(db, sql);
  return st.step() ? st.column_text(0) : std::string();
}

bool has_tables(Db& db) {
  Statement st(db, "SELECT count(*) FROM sqlite_master");
  return st.step() && st.column_int(0) > 0;
}

// Schema checks every open makes before anything could be written.
void check_schema(Db& db, int version, int latest, Access access) {
  if (version == 0 && has_tables(db)) {
    throw_bad_input("an SQLite database, but not a kafka-dr state file (it has tables and no kafka-dr schema "
                    "version); it was not modified. Check --state / DR_STATE",
                    {.file = db.path()});
  }
  if (version > latest) {
    throw_refused(fmt::format("state file has schema version {}, but this kafka-dr knows versions up to {}: it was "
                              "written by a newer kafka-dr. Use that version (or newer); the file was not modified",
                              version, latest),
                  {.file = db.path()});
  }
  if (access == Access::read_write) return;
  if (version == 0) {
    throw_bad_input("the state file has no kafka-dr schema yet (dr-mirror sets it up on its first start); a reading "
                    "tool does not create one, and the file was not modified",
                    {.file = db.path()});
  }
  if (version < latest) {
    throw_refused(fmt::format("state file has schema version {}, this kafka-dr reads version {}: it needs an upgrade, "
                              "which a reading tool does not make. The next start of this kafka-dr's dr-mirror (or a "
                              "dr-failover) upgrades it; the file was not modified",
                              version, latest),
                  {.file = db.path()});
  }
}

Db open_connection(const std::string& path, const std::string& filename, int flags, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(filename.c_str(), &raw, flags, nullptr);
  Db db(DbHandle{raw}, path);
  if (rc != SQLITE_OK) throw_sqlite_io(raw, rc, path, "open");
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  sqlite3_extended_result_codes(db.get(), 1);
  return db;
}

StateStore make_store(Db db, bool read_only) {
  auto impl = std::unique_ptr<StateStore::Impl>(new StateStore::Impl{std::move(db), 0, read_only});
  impl->schema_version = read_user_version(impl->db);
  return StateStore(std::move(impl));
}

StateStore open_read_only(const std::string& path, const OpenOptions& options, int latest) {
  const StateFileFacts facts = inspect_state_file(path);
  if (!facts.exists) {
    throw_bad_input("state file does not exist (dr-mirror creates it on its first start; a reading tool does not)",
                    {.file = path});
  }
  warn_if_too_open(path, facts);
  if (facts.size == 0) {
    throw_bad_input("the state file is empty (0 bytes): no kafka-dr tool has set it up yet (dr-mirror does on its first "
                    "start); a reading tool does not, and the file was not modified",
                    {.file = path});
  }
  Db db = open_connection(path, read_only_uri(path), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, options.busy_timeout_ms);
  check_integrity(db);
  check_schema(db, read_user_version(db), latest, Access::read_only);
  db.exec("PRAGMA foreign_keys=ON");
  return make_store(std::move(db), true);
}

StateStore open_read_write(const std::string& path, const OpenOptions& options, std::span<const Migration> migrations) {
  const bool memory = path == ":memory:";
  if (!memory) {
    const StateFileFacts facts = inspect_state_file(path);
    if (!facts.exists && !options.create_if_missing) throw_bad_input("state file does not exist", {.file = path});
    warn_if_too_open(path, facts);
    require_writable(path, facts);
    if (!facts.exists) create_private_file(path);
  }
  Db db = open_connection(path, path, SQLITE_OPEN_READWRITE | (memory ? SQLITE_OPEN_CREATE : 0), options.busy_timeout_ms);
  // Read-only checks first: nothing is written before we know the file is ours and not too new.
  check_integrity(db);
  check_schema(db, read_user_version(db), static_cast<int>(migrations.size()), Access::read_write);
  if (!memory) {
    std::string mode = pragma_text(db, "PRAGMA journal_mode=WAL");
    if (mode != "wal") db.fail(fmt::format("cannot switch to WAL journal (got '{}')", mode));
  }
  db.exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
  migrate(db, migrations);
  return make_store(std::move(db), false);
}

}  // namespace

StateStore open_state_store(const std::string& path, const OpenOptions& options, std::span<const Migration> migrations) {
  if (options.access == Access::read_only) {
    if (path == ":memory:") throw_bad_input("an in-memory state store cannot be opened read-only", {.file = path});
    return open_read_only(path, options, static_cast<int>(migrations.size()));
  }
  return open_read_write(path, options, migrations);
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
bool StateStore::read_only() const { return impl_->read_only; }

}  // namespace dr::store
