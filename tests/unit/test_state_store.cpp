#include <doctest/doctest.h>
#include <unistd.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "dr/error.hpp"
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

dr::Error open_error(const std::string& path, std::span<const Migration> migrations = dr::store::builtin_migrations()) {
  try {
    dr::store::open_state_store(path, {}, migrations);
  } catch (const dr::Error& e) {
    return e;
  }
  FAIL("expected open to fail: " << path);
  throw std::logic_error("unreachable");
}

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
