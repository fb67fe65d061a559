// Schema migrations of the state file (private to libdr).
// Each migration runs in its own transaction and sets PRAGMA user_version inside it, so a failed
// step leaves the file at the previous version and is never half-applied.
#pragma once

#include <span>

#include "store/sqlite.hpp"

namespace dr::store {

struct Migration {
  int version;       // 1, 2, 3, ... contiguous
  const char* name;  // file name, e.g. "0001_init.sql"
  const char* sql;
};

// The migrations/ directory, embedded at build time (generated source).
std::span<const Migration> builtin_migrations();

int read_user_version(Db& db);

// Applies every migration newer than the file's user_version, in order. Throws dr::Error(refused)
// if the file is newer than the newest migration, dr::Error(io) if a step fails (after rollback).
void migrate(Db& db, std::span<const Migration> migrations);

}  // namespace dr::store
