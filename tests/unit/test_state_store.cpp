#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "dr/error.hpp"
#include "dr/store/audit.hpp"
#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"
#include "store/state_store_impl.hpp"

namespace fs = std::filesystem;
using dr::store::Migration;
using dr::store::StateStore;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("dr-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int user_version_of(const fs::path& p) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(p.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
  sqlite3_step(st);
  int v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

void set_user_version(const fs::path& p, int v) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(p.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, ("PRAGMA user_version=" + std::to_string(v)).c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

bool table_exists(StateStore& s, const std::string& name) {
  dr::store::Statement st(s.impl().db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?1");
  st.bind(1, name);
  REQUIRE(st.step());
  return st.column_int(0) == 1;
}

dr::Error open_error(const std::string& path, std::span<const Migration> migrations = dr::store::builtin_migrations(),
                     const dr::store::OpenOptions& options = {}) {
  try {
    dr::store::open_state_store(path, options, migrations);
  } catch (const dr::Error& e) {
    return e;
  }
  FAIL("expected open to fail: " << path);
  throw std::logic_error("unreachable");
}

constexpr dr::store::OpenOptions kReader{.access = dr::store::Access::read_only};

dr::Error reader_error(const std::string& path, std::span<const Migration> migrations = dr::store::builtin_migrations()) {
  return open_error(path, migrations, kReader);
}

// Makes a directory really read-only for this process, root included: a read-only bind mount of
// it onto itself when running as root (permission bits do not stop root), mode 0555 otherwise.
// A test that cannot make it read-only fails; it is never skipped.
struct ReadOnlyDir {
  fs::path path;
  bool mounted = false;
  explicit ReadOnlyDir(fs::path p) : path(std::move(p)) {
    if (::geteuid() == 0) {
      REQUIRE_MESSAGE(::mount(path.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) == 0, std::strerror(errno));
      mounted = true;
      REQUIRE_MESSAGE(::mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0,
                      std::strerror(errno));
    } else {
      fs::permissions(path, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    }
    // Prove it: nothing can be created in it.
    std::ofstream probe(path / "probe");
    REQUIRE_FALSE(probe.is_open());
  }
  ~ReadOnlyDir() {
    if (mounted) ::umount2(path.c_str(), MNT_DETACH);
    else fs::permissions(path, fs::perms::owner_all);
  }
  ReadOnlyDir(const ReadOnlyDir&) = delete;
  ReadOnlyDir& operator=(const ReadOnlyDir&) = delete;
};

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// A state file holding one link primary->standby, closed cleanly (no -wal, no -shm left).
void make_state_with_link(const fs::path& path) {
  auto s = StateStore::open(path.string());
  dr::store::record_cluster(s, "id-p", "primary", "p:9092");
  dr::store::record_cluster(s, "id-s", "standby", "s:9092");
  dr::store::ensure_link(s, "id-p", "id-s", "{topic}");
}

struct FileSnapshot {
  std::string bytes;
  fs::file_time_type mtime;
  fs::perms perms;
  explicit FileSnapshot(const fs::path& p)
      : bytes(read_bytes(p)), mtime(fs::last_write_time(p)), perms(fs::status(p).permissions()) {}
  bool operator==(const FileSnapshot&) const = default;
};

}  // namespace

TEST_CASE("state store: a fresh file gets every migration, mode 0600 and WAL") {
  TempDir dir;
  auto path = dir.path / "dr-state.db";
  {
    auto store = StateStore::open(path.string());
    CHECK(store.schema_version() == StateStore::latest_schema_version());
    CHECK(StateStore::latest_schema_version() >= 1);
    for (const char* t : {"clusters", "links", "topic_map", "offset_segments", "group_checkpoints", "failovers",
                          "drills", "mirror_instances", "skipped_records"}) {
      CHECK_MESSAGE(table_exists(store, t), t);
    }
    dr::store::Statement st(store.impl().db, "PRAGMA journal_mode");
    REQUIRE(st.step());
    CHECK(st.column_text(0) == "wal");
    CHECK(dr::store::list_links(store).empty());
  }
  struct stat sb {};
  REQUIRE(::stat(path.c_str(), &sb) == 0);
  CHECK((sb.st_mode & 0777) == 0600);
  CHECK(user_version_of(path) == StateStore::latest_schema_version());
  // Reopening is a no-op.
  auto again = StateStore::open(path.string());
  CHECK(again.schema_version() == StateStore::latest_schema_version());
}

TEST_CASE("state store: an older file is upgraded one transaction per migration") {
  TempDir dir;
  auto path = (dir.path / "s.db").string();
  const Migration v1[] = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"}};
  const Migration v3[] = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"},
                          {2, "0002_b.sql", "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (42);"},
                          {3, "0003_c.sql", "ALTER TABLE b ADD COLUMN z TEXT;"}};
  {
    auto s = dr::store::open_state_store(path, {}, v1);
    CHECK(s.schema_version() == 1);
    CHECK_FALSE(table_exists(s, "b"));
  }
  auto s = dr::store::open_state_store(path, {}, v3);
  CHECK(s.schema_version() == 3);
  CHECK(table_exists(s, "b"));
  dr::store::Statement st(s.impl().db, "SELECT x FROM a");
  REQUIRE(st.step());
  CHECK(st.column_int(0) == 42);
}

TEST_CASE("state store: a failing migration is rolled back and leaves the previous version") {
  TempDir dir;
  auto path = (dir.path / "s.db").string();
  const Migration good[] = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"}};
  const Migration bad[] = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"},
                           {2, "0002_bad.sql", "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);"}};
  { dr::store::open_state_store(path, {}, good); }
  auto e = open_error(path, bad);
  CHECK(e.kind() == dr::ErrorKind::io);
  CHECK(std::string(e.what()).find("0002_bad.sql") != std::string::npos);
  CHECK(user_version_of(path) == 1);
  auto s = dr::store::open_state_store(path, {}, good);
  CHECK_FALSE(table_exists(s, "b"));  // the half of 0002 that succeeded was rolled back
}

TEST_CASE("state store: a file from a newer kafka-dr is refused and left untouched") {
  TempDir dir;
  auto path = dir.path / "new.db";
  { StateStore::open(path.string()); }
  set_user_version(path, StateStore::latest_schema_version() + 5);
  fs::remove(dir.path / "new.db-wal");
  fs::remove(dir.path / "new.db-shm");
  const std::string before = read_bytes(path);
  const auto mtime = fs::last_write_time(path);
  auto e = open_error(path.string());
  CHECK(e.kind() == dr::ErrorKind::refused);
  CHECK(dr::exit_code_for(e.kind()) == 3);
  std::string what = e.what();
  CHECK(what.find("newer kafka-dr") != std::string::npos);
  CHECK(what.find(path.string()) != std::string::npos);
  CHECK(read_bytes(path) == before);
  CHECK(fs::last_write_time(path) == mtime);
}

TEST_CASE("state store: a non-SQLite file is refused and never overwritten") {
  TempDir dir;
  auto path = dir.path / "notes.txt";
  std::ofstream(path) << "this is somebody's important file, not a database\n";
  const std::string before = read_bytes(path);
  auto e = open_error(path.string());
  CHECK(e.kind() == dr::ErrorKind::bad_input);
  CHECK(std::string(e.what()).find("not an SQLite database") != std::string::npos);
  CHECK(read_bytes(path) == before);
}

TEST_CASE("state store: a corrupt SQLite file gives a clear error and is not modified") {
  TempDir dir;
  auto path = dir.path / "corrupt.db";
  {
    auto s = StateStore::open(path.string());
    dr::store::Statement ins(s.impl().db, "INSERT INTO clusters VALUES (?1, ?1, '', 0, 0)");
    for (int i = 0; i < 500; ++i) {
      ins.bind(1, "cluster-" + std::to_string(i) + std::string(200, 'x'));
      ins.run();
      ins.reset();
    }
    s.impl().db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  fs::remove(dir.path / "corrupt.db-wal");
  fs::remove(dir.path / "corrupt.db-shm");
  std::string bytes = read_bytes(path);
  REQUIRE(bytes.size() > 4 * 4096);
  // Scribble over the middle pages, keeping the header intact.
  for (size_t i = 2 * 4096; i < bytes.size() - 4096; i += 7) bytes[i] = static_cast<char>(0xA5);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  auto e = open_error(path.string());
  CHECK(e.kind() == dr::ErrorKind::bad_input);
  CHECK(std::string(e.what()).find("corrupt") != std::string::npos);
  CHECK(read_bytes(path) == bytes);
}

TEST_CASE("state store: missing file with create_if_missing=false, and a directory") {
  TempDir dir;
  auto path = (dir.path / "absent.db").string();
  CHECK_THROWS_AS(StateStore::open(path, {.create_if_missing = false}), dr::Error);
  CHECK_FALSE(fs::exists(path));
  auto e = open_error(dir.path.string());
  CHECK(e.kind() == dr::ErrorKind::bad_input);
  auto missing_dir = (dir.path / "no" / "such" / "dir" / "s.db").string();
  CHECK_THROWS_AS(StateStore::open(missing_dir), dr::Error);
}

TEST_CASE("state store: an empty existing file becomes a state file") {
  TempDir dir;
  auto path = dir.path / "empty.db";
  std::ofstream(path).close();
  auto s = StateStore::open(path.string());
  CHECK(s.schema_version() == StateStore::latest_schema_version());
}

TEST_CASE("state store: in-memory stores for tests") {
  auto s = StateStore::open(":memory:");
  CHECK(s.schema_version() == StateStore::latest_schema_version());
}

// Item 10: a read-only medium or a directory that is not writable is not corruption.
TEST_CASE("state store: in a read-only directory a writer says not writable (never corrupt) and a reader reads") {
  TempDir dir;
  auto path = dir.path / "dr-state.db";
  make_state_with_link(path);
  REQUIRE(names_in(dir.path) == std::set<std::string>{"dr-state.db"});
  const FileSnapshot before(path);
  ReadOnlyDir ro(dir.path);

  auto e = open_error(path.string());
  CHECK(e.kind() == dr::ErrorKind::io);
  CHECK(dr::exit_code_for(e.kind()) == 1);
  const std::string what = e.what();
  CHECK_MESSAGE(what.find("not writable") != std::string::npos, what);
  CHECK_MESSAGE(what.find(std::strerror(::geteuid() == 0 ? EROFS : EACCES)) != std::string::npos, what);
  CHECK_MESSAGE(what.find(path.string()) != std::string::npos, what);
  CHECK_MESSAGE(what.find("corrupt") == std::string::npos, what);
  CHECK_MESSAGE(what.find("move it aside") == std::string::npos, what);

  {
    auto reader = StateStore::open(path.string(), kReader);
    CHECK(reader.read_only());
    auto links = dr::store::list_links(reader);
    REQUIRE(links.size() == 1);
    CHECK(links[0].name == "primary->standby");
  }
  CHECK(FileSnapshot(path) == before);
  CHECK(names_in(dir.path) == std::set<std::string>{"dr-state.db"});
}

TEST_CASE("state store: a writer cannot create a state file in a read-only directory, and says why") {
  TempDir dir;
  ReadOnlyDir ro(dir.path);
  auto e = open_error((dir.path / "new.db").string());
  CHECK(e.kind() == dr::ErrorKind::io);
  const std::string what = e.what();
  CHECK_MESSAGE(what.find("not writable") != std::string::npos, what);
  CHECK_MESSAGE(what.find(dir.path.string()) != std::string::npos, what);
  CHECK_FALSE(fs::exists(dir.path / "new.db"));
}

TEST_CASE("state store: a reader on a read-only medium reads what a crashed mirror left in the -wal") {
  TempDir live, copy;
  auto path = live.path / "dr-state.db";
  {
    // A writer whose last changes are only in the write-ahead log when it dies: snapshot the three
    // files while it still holds the database open.
    auto s = StateStore::open(path.string());
    s.impl().db.exec("PRAGMA wal_autocheckpoint=0");
    dr::store::record_cluster(s, "id-p", "primary", "p:9092");
    dr::store::record_cluster(s, "id-s", "standby", "s:9092");
    dr::store::ensure_link(s, "id-p", "id-s", "{topic}");
    for (const char* suffix : {"", "-wal", "-shm"}) {
      fs::copy_file(live.path / ("dr-state.db" + std::string(suffix)), copy.path / ("dr-state.db" + std::string(suffix)));
    }
  }
  const auto copied = copy.path / "dr-state.db";
  REQUIRE(fs::file_size(copy.path / "dr-state.db-wal") > 0);
  const FileSnapshot before(copied);
  const auto files = names_in(copy.path);
  {
    ReadOnlyDir ro(copy.path);
    auto reader = StateStore::open(copied.string(), kReader);
    CHECK(dr::store::list_links(reader).size() == 1);  // the link exists only in the -wal
  }
  CHECK(FileSnapshot(copied) == before);
  CHECK(names_in(copy.path) == files);

  // The same -wal without its -shm cannot be read without creating one: a clear error, not "corrupt".
  fs::remove(copy.path / "dr-state.db-shm");
  ReadOnlyDir ro(copy.path);
  auto e = reader_error(copied.string());
  CHECK(e.kind() == dr::ErrorKind::io);
  const std::string what = e.what();
  CHECK_MESSAGE(what.find("-shm") != std::string::npos, what);
  CHECK_MESSAGE(what.find("not writable") != std::string::npos, what);
  CHECK_MESSAGE(what.find("corrupt") == std::string::npos, what);
}

// Item 11: tools that only read never write.
TEST_CASE("state store: a reader never creates, migrates or modifies the file") {
  TempDir dir;
  SUBCASE("missing: bad input, not created") {
    auto path = dir.path / "absent.db";
    auto e = reader_error(path.string());
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK(std::string(e.what()).find("does not exist") != std::string::npos);
    CHECK_FALSE(fs::exists(path));
  }
  SUBCASE("empty: bad input, still empty") {
    auto path = dir.path / "empty.db";
    std::ofstream(path).close();
    const FileSnapshot before(path);
    auto e = reader_error(path.string());
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK(std::string(e.what()).find("empty") != std::string::npos);
    CHECK(FileSnapshot(path) == before);
    CHECK(names_in(dir.path) == std::set<std::string>{"empty.db"});
  }
  SUBCASE("older schema: refused, not migrated") {
    auto path = dir.path / "old.db";
    const Migration v1[] = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"}};
    const Migration v2[] = {{1, "0001_a.sql", "CREATE TABLE a (x INTEGER);"}, {2, "0002_b.sql", "CREATE TABLE b (y INTEGER);"}};
    { dr::store::open_state_store(path.string(), {}, v1); }
    const FileSnapshot before(path);
    auto e = reader_error(path.string(), v2);
    CHECK(e.kind() == dr::ErrorKind::refused);
    CHECK_MESSAGE(std::string(e.what()).find("schema version 1") != std::string::npos, e.what());
    CHECK(FileSnapshot(path) == before);
    CHECK(user_version_of(path) == 1);
  }
  SUBCASE("an SQLite file without kafka-dr's schema: bad input for readers and writers alike") {
    auto path = dir.path / "other.db";
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE recipes (name TEXT)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    const FileSnapshot before(path);
    CHECK(reader_error(path.string()).kind() == dr::ErrorKind::bad_input);
    auto e = open_error(path.string());
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK_MESSAGE(std::string(e.what()).find("not a kafka-dr state file") != std::string::npos, e.what());
    CHECK(FileSnapshot(path) == before);
  }
  SUBCASE("a good file: read, bytes, mtime and mode unchanged, and the connection cannot write") {
    auto path = dir.path / "dr-state.db";
    make_state_with_link(path);
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    const FileSnapshot before(path);
    {
      auto reader = StateStore::open(path.string(), kReader);
      CHECK(dr::store::list_links(reader).size() == 1);
      CHECK_THROWS_AS(dr::store::record_cluster(reader, "id-x", "x", "x:9092"), dr::Error);
    }
    CHECK(FileSnapshot(path) == before);
  }
}

TEST_CASE("state store: an existing file's mode is left alone") {
  TempDir dir;
  auto path = dir.path / "dr-state.db";
  make_state_with_link(path);
  const auto open_mode = fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read;
  fs::permissions(path, open_mode);
  { auto writer = StateStore::open(path.string()); }
  CHECK(fs::status(path).permissions() == open_mode);
}

TEST_CASE("state store: a FIFO, a device or a directory is not a state file, and a FIFO never blocks") {
  TempDir dir;
  auto fifo = dir.path / "fifo.db";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  ::alarm(20);  // a test that blocks on the FIFO is killed (and fails) instead of hanging
  for (const std::string& path : {fifo.string(), std::string("/dev/null"), dir.path.string()}) {
    for (const auto& options : {dr::store::OpenOptions{}, kReader}) {
      CAPTURE(path);
      auto e = open_error(path, dr::store::builtin_migrations(), options);
      CHECK(e.kind() == dr::ErrorKind::bad_input);
      CHECK_MESSAGE(std::string(e.what()).find("not a state file") != std::string::npos, e.what());
    }
  }
  ::alarm(0);
  struct stat sb {};
  REQUIRE(::stat("/dev/null", &sb) == 0);
  CHECK(S_ISCHR(sb.st_mode));
  CHECK((sb.st_mode & 0666) == 0666);
}

TEST_CASE("state store: refusals at mirror start write nothing (fenced link, wrong alias)") {
  TempDir dir;
  auto path = dir.path / "dr-state.db";
  make_state_with_link(path);
  const dr::store::ClusterSighting primary{"id-p", "primary", "p:9092"}, standby{"id-s", "standby", "s:9092"};
  SUBCASE("an alias that names another cluster, on either side") {
    const FileSnapshot before(path);
    {
      auto s = StateStore::open(path.string());
      const dr::store::ClusterSighting impostor{"id-other", "standby", "other:9092"};
      CHECK_THROWS_AS(dr::store::record_mirror_link(s, primary, impostor, "{topic}"), dr::Error);
      const dr::store::ClusterSighting impostor_source{"id-other", "primary", "other:9092"};
      CHECK_THROWS_AS(dr::store::record_mirror_link(s, impostor_source, standby, "{topic}"), dr::Error);
    }
    CHECK(FileSnapshot(path) == before);
  }
  SUBCASE("a fenced link") {
    {
      auto s = StateStore::open(path.string());
      dr::store::fence_link(s, dr::store::list_links(s).at(0).id, "failover #1");
    }
    const FileSnapshot before(path);
    {
      auto s = StateStore::open(path.string());
      try {
        dr::store::record_mirror_link(s, primary, standby, "{topic}");
        FAIL("a fenced link must be refused");
      } catch (const dr::Error& e) {
        CHECK(e.kind() == dr::ErrorKind::refused);
        CHECK_MESSAGE(std::string(e.what()).find("failed_over") != std::string::npos, e.what());
      }
    }
    CHECK(FileSnapshot(path) == before);
  }
  SUBCASE("an active link: clusters and link recorded") {
    auto s = StateStore::open(path.string());
    auto link = dr::store::record_mirror_link(s, primary, standby, "{topic}");
    CHECK(link.name == "primary->standby");
    CHECK(link.state == dr::store::LinkState::active);
  }
}

TEST_CASE("state store: a reader reads beside a running writer and sees what it committed") {
  TempDir dir;
  auto path = dir.path / "dr-state.db";
  auto writer = StateStore::open(path.string());
  dr::store::record_cluster(writer, "id-p", "primary", "p:9092");
  dr::store::record_cluster(writer, "id-s", "standby", "s:9092");
  {
    auto reader = StateStore::open(path.string(), kReader);
    CHECK(dr::store::list_links(reader).empty());
  }
  dr::store::ensure_link(writer, "id-p", "id-s", "{topic}");
  auto reader = StateStore::open(path.string(), kReader);
  CHECK(dr::store::list_links(reader).size() == 1);
}
