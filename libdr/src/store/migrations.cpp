#include "store/migrations.hpp"

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/log.hpp"

namespace dr::store {

int read_user_version(Db& db) {
  Statement st(db, "PRAGMA user_version");
  if (!st.step()) db.fail("cannot read user_version");
  return static_cast<int>(st.column_int(0));
}

void migrate(Db& db, std::span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      throw Error(ErrorKind::internal, fmt::format("migration {} has version {}, expected {}", migrations[i].name,
                                                   migrations[i].version, i + 1));
    }
  }
  const int latest = static_cast<int>(migrations.size());
  int current = read_user_version(db);
  if (current > latest) {
    throw_refused(fmt::format("state file has schema version {}, but this kafka-dr knows versions up to {}: it was "
                              "written by a newer kafka-dr. Use that version (or newer); the file was not modified",
                              current, latest),
                  {.file = db.path()});
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    Transaction tx(db);
    // Another process may have migrated between our read and our write lock.
    int now = read_user_version(db);
    if (now >= m.version) {
      tx.commit();
      current = now;
      continue;
    }
    try {
      db.exec(m.sql);
      db.exec(fmt::format("PRAGMA user_version = {}", m.version));
      tx.commit();
    } catch (const Error& e) {
      throw Error(ErrorKind::io,
                  fmt::format("migration {} failed and was rolled back (file stays at schema version {}): {}", m.name,
                              now, e.message()),
                  {.file = db.path()});
    }
    dr::log::info("{}: applied migration {}", db.path(), m.name);
    current = m.version;
  }
}

}  // namespace dr::store
