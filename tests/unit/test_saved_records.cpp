// dr-resync's save directory: what is written reads back exactly, and any change is caught.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dr/error.hpp"
#include "dr/resync/saved_records.hpp"

namespace fs = std::filesystem;
using dr::kafka::Record;
using namespace dr::resync;

namespace {

struct SaveDir {
  fs::path path = fs::temp_directory_path() / ("dr-saved-test-" + std::to_string(::getpid()) + "-" + std::to_string(n()++));
  SaveDir() { fs::remove_all(path); }
  ~SaveDir() { fs::remove_all(path); }
  static int& n() {
    static int i = 0;
    return i;
  }
};

std::vector<Record> sample_records() {
  std::vector<Record> out;
  std::string binary;
  for (int c = 0; c < 256; ++c) binary += static_cast<char>(c);
  for (int i = 0; i < 7; ++i) {
    Record r;
    r.offset = 100 + i * 2;  // gaps, as compaction leaves them
    r.timestamp_ms = 1795000000000 + i;
    r.timestamp_type = dr::kafka::TimestampType::create_time;
    if (i != 1) r.key = "key-" + std::to_string(i);
    if (i != 2) r.value = i == 3 ? binary : std::string(i, 'v');  // "" for i=0: empty, not null
    if (i == 4) r.headers = {{"trace", std::string("t\n\"x")}, {"null", std::nullopt}, {"trace", std::string()}};
    out.push_back(r);
  }
  return out;
}

SaveManifest header() {
  SaveManifest m;
  m.link = "primary->standby";
  m.old_primary_cluster_id = "old-id";
  m.new_primary_cluster_id = "new-id";
  m.resync_id = 7;
  return m;
}

SavedPartition save(const fs::path& dir, const std::vector<Record>& records, int* calls = nullptr) {
  return save_records(dir.string(), header(), "orders", 3, [&](const std::function<bool(const Record&)>& sink) {
    if (calls) ++*calls;
    for (const Record& r : records) sink(r);
  });
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary | std::ios::trunc) << s; }

void check_bad_input_naming(const fs::path& dir, const SavedPartition& saved, const std::string& needle) {
  try {
    verify_saved(dir.string(), saved);
    FAIL("a damaged file verified");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    const std::string what = e.what();
    CHECK(what.find(saved.file) != std::string::npos);
    CHECK(what.find(needle) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("saved records: every field reads back exactly, null and empty and binary bytes included") {
  SaveDir d;
  const auto records = sample_records();
  const SavedPartition saved = save(d.path, records);
  CHECK(saved.records == 7);
  CHECK(saved.first_offset == 100);
  CHECK(saved.last_offset == 112);
  CHECK(saved.bytes == static_cast<int64_t>(fs::file_size(d.path / saved.file)));
  std::vector<Record> back;
  for_each_saved(d.path.string(), saved, [&](const Record& r) { back.push_back(r); });
  REQUIRE(back.size() == records.size());
  for (size_t i = 0; i < back.size(); ++i) {
    CAPTURE(i);
    CHECK(back[i].offset == records[i].offset);
    CHECK(back[i].timestamp_ms == records[i].timestamp_ms);
    CHECK(back[i].key == records[i].key);
    CHECK(back[i].value == records[i].value);
    CHECK(back[i].headers == records[i].headers);
  }
  const auto m = read_manifest(d.path.string());
  REQUIRE(m);
  REQUIRE(m->partitions.size() == 1);
  CHECK(m->partitions[0] == saved);
  CHECK(m->old_primary_cluster_id == "old-id");
}

TEST_CASE("saved records: sha256sum -c accepts the SHA256SUMS file") {
  SaveDir d;
  save(d.path, sample_records());
  const std::string cmd = "cd '" + d.path.string() + "' && sha256sum --quiet -c SHA256SUMS";
  CHECK(std::system(cmd.c_str()) == 0);
  spit(d.path / "orders-3.jsonl", slurp(d.path / "orders-3.jsonl") + "{}\n");
  CHECK(std::system((cmd + " >/dev/null 2>&1").c_str()) != 0);
}

TEST_CASE("saved records: a rerun finds the partition saved and does not read it again") {
  SaveDir d;
  int calls = 0;
  const auto first = save(d.path, sample_records(), &calls);
  const auto second = save(d.path, sample_records(), &calls);
  CHECK(calls == 1);
  CHECK(first == second);
  // Another cluster's records do not go into the same directory.
  SaveManifest other = header();
  other.old_primary_cluster_id = "someone-else";
  CHECK_THROWS_AS(save_records(d.path.string(), other, "orders", 4, [](const auto&) {}), dr::Error);
}

TEST_CASE("saved records: a changed, truncated, shortened or missing file is caught, naming the file") {
  SaveDir d;
  const SavedPartition saved = save(d.path, sample_records());
  const fs::path file = d.path / saved.file;
  const std::string original = slurp(file);

  std::string changed = original;
  changed.replace(changed.find("a2V5LTU="), 8, "a2V5LTY=");  // key-5 -> key-6
  spit(file, changed);
  check_bad_input_naming(d.path, saved, "SHA-256");

  spit(file, original.substr(0, original.size() - 5));
  check_bad_input_naming(d.path, saved, "truncated");

  spit(file, original.substr(0, original.rfind('\n', original.size() - 2) + 1));  // the last line gone
  check_bad_input_naming(d.path, saved, "record count");

  spit(file, original + "not json\n");
  check_bad_input_naming(d.path, saved, "not a JSON object");

  fs::remove(file);
  check_bad_input_naming(d.path, saved, "missing");

  spit(file, original);
  CHECK_NOTHROW(verify_saved(d.path.string(), saved));
}
