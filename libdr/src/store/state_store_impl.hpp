// StateStore internals shared by libdr modules that query the state file (private).
#pragma once

#include <span>

#include "dr/store/state_store.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"

namespace dr::store {

struct StateStore::Impl {
  Db db;
  int schema_version = 0;
  bool read_only = false;
};

// StateStore::open with an explicit migration list (tests use synthetic lists).
StateStore open_state_store(const std::string& path, const OpenOptions& options, std::span<const Migration> migrations);

}  // namespace dr::store
