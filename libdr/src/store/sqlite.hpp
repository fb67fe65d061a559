// RAII owners of SQLite handles and a small typed statement API (private to libdr).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/handle.hpp"

namespace dr::store {

using DbHandle = Handle<sqlite3, sqlite3_close_v2>;
using StmtHandle = Handle<sqlite3_stmt, sqlite3_finalize>;

// One connection. Errors: dr::Error(io) naming the state file and SQLite's message.
class Db {
 public:
  Db(DbHandle handle, std::string path) : handle_(std::move(handle)), path_(std::move(path)) {}
  sqlite3* get() const noexcept { return handle_.get(); }
  const std::string& path() const noexcept { return path_; }

  void exec(std::string_view sql);  // one or more statements, no results
  [[noreturn]] void fail(std::string_view what) const;  // throws with sqlite3_errmsg

 private:
  DbHandle handle_;
  std::string path_;
};

class Statement {
 public:
  Statement(Db& db, std::string_view sql);
  Statement& bind(int index, int64_t v);
  Statement& bind(int index, std::string_view v);
  Statement& bind_null(int index);
  bool step();   // true while a row is available
  void run();    // step to completion; for statements without results
  void reset();  // reuse with new bindings
  int64_t column_int(int i) const;
  std::string column_text(int i) const;
  bool column_is_null(int i) const;

 private:
  Db& db_;
  StmtHandle stmt_;
};

// BEGIN IMMEDIATE .. COMMIT; rolls back in the destructor unless committed.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace dr::store
