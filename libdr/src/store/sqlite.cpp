#include "store/sqlite.hpp"

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/log.hpp"

namespace dr::store {

void Db::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  if (sqlite3_exec(handle_.get(), s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(handle_.get());
    sqlite3_free(err);
    throw Error(ErrorKind::io, fmt::format("state file: {}", msg), {.file = path_});
  }
}

void Db::fail(std::string_view what) const {
  throw Error(ErrorKind::io, fmt::format("state file: {}: {}", what, sqlite3_errmsg(handle_.get())), {.file = path_});
}

Statement::Statement(Db& db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK) {
    db.fail(fmt::format("cannot prepare '{}'", sql));
  }
  stmt_.reset(raw);
}

Statement& Statement::bind(int index, int64_t v) {
  if (sqlite3_bind_int64(stmt_.get(), index, v) != SQLITE_OK) db_.fail("bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view v) {
  if (sqlite3_bind_text(stmt_.get(), index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
    db_.fail("bind");
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_.get(), index) != SQLITE_OK) db_.fail("bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_.fail(fmt::format("'{}'", sqlite3_sql(stmt_.get())));
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

int64_t Statement::column_int(int i) const { return sqlite3_column_int64(stmt_.get(), i); }

std::string Statement::column_text(int i) const {
  const unsigned char* t = sqlite3_column_text(stmt_.get(), i);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), i)))
           : std::string();
}

bool Statement::column_is_null(int i) const { return sqlite3_column_type(stmt_.get(), i) == SQLITE_NULL; }

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (done_) return;
  if (sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr) != SQLITE_OK) {
    dr::log::error("{}: rollback failed: {}", db_.path(), sqlite3_errmsg(db_.get()));
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace dr::store
