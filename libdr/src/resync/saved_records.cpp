#include "dr/resync/saved_records.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dr/clock.hpp"
#include "dr/base64.hpp"
#include "dr/error.hpp"
#include "dr/resync/record_range.hpp"

namespace dr::resync {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json optional_b64(const std::optional<std::string>& v) { return v ? json(base64(*v)) : json(nullptr); }

struct DigestDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw Error(ErrorKind::internal, "SHA-256 init");
  }
  void update(std::string_view data) { EVP_DigestUpdate(ctx_.get(), data.data(), data.size()); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &n);
    std::string out;
    for (unsigned int i = 0; i < n; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> ctx_;
};

[[noreturn]] void io_error(const std::string& what, const fs::path& path) {
  throw Error(ErrorKind::io, fmt::format("{}: {}", what, std::strerror(errno)), {.file = path.string()});
}

// A file written whole or not at all: temp name, fsync, rename, fsync of the directory.
class AtomicFile {
 public:
  explicit AtomicFile(fs::path path) : path_(std::move(path)), tmp_(path_.string() + ".tmp") {
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) io_error("cannot create", tmp_);
  }
  ~AtomicFile() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(tmp_.c_str());
    }
  }
  void write(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) io_error("cannot write", tmp_);
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  void commit() {
    if (::fsync(fd_) != 0) io_error("cannot fsync", tmp_);
    if (::close(fd_) != 0) {
      fd_ = -1;
      io_error("cannot close", tmp_);
    }
    fd_ = -1;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) io_error("cannot rename into place", path_);
    const int dir = ::open(path_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }

 private:
  fs::path path_, tmp_;
  int fd_ = -1;
};

std::string file_name(const std::string& topic, int32_t partition) { return fmt::format("{}-{}.jsonl", topic, partition); }

json to_json(const SavedPartition& p) {
  return {{"topic", p.topic},
          {"partition", p.partition},
          {"file", p.file},
          {"records", p.records},
          {"first_offset", p.first_offset},
          {"last_offset", p.last_offset},
          {"first_timestamp_ms", p.first_timestamp_ms},
          {"last_timestamp_ms", p.last_timestamp_ms},
          {"bytes", p.bytes},
          {"sha256", p.sha256}};
}

void write_manifest(const fs::path& dir, const SaveManifest& m) {
  json parts = json::array();
  std::string sums;
  for (const SavedPartition& p : m.partitions) {
    parts.push_back(to_json(p));
    sums += fmt::format("{}  {}\n", p.sha256, p.file);
  }
  const json j = {{"format", "kafka-dr saved records"},
                  {"format_version", m.format_version},
                  {"link", m.link},
                  {"old_primary_cluster_id", m.old_primary_cluster_id},
                  {"new_primary_cluster_id", m.new_primary_cluster_id},
                  {"resync_id", m.resync_id},
                  {"created_ms", m.created_ms},
                  {"partitions", parts}};
  AtomicFile manifest(dir / "manifest.json");
  manifest.write(j.dump(2) + "\n");
  manifest.commit();
  AtomicFile sha(dir / "SHA256SUMS");
  sha.write(sums);
  sha.commit();
}

// Reads a saved file line by line; `each` gets the decoded records. Returns (records, sha256, bytes).
struct FileScan {
  int64_t records = 0, bytes = 0, first_offset = -1, last_offset = -1;
  std::string sha256;
};

FileScan scan_file(const fs::path& path, const std::function<void(const kafka::Record&)>& each) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorKind::bad_input, "saved records file is missing or unreadable", {.file = path.string()});
  FileScan scan;
  Sha256 sha;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    sha.update(line);
    if (!in.eof()) sha.update("\n");
    else throw Error(ErrorKind::bad_input, "the last line is not complete (file truncated)", {.file = path.string(), .line = number});
    scan.bytes += static_cast<int64_t>(line.size()) + 1;
    kafka::Record r = decode_record(line, path.string(), number);
    if (scan.last_offset >= 0 && r.offset <= scan.last_offset) {
      throw Error(ErrorKind::bad_input, fmt::format("offset {} is not after {}", r.offset, scan.last_offset),
                  {.file = path.string(), .line = number});
    }
    if (scan.first_offset < 0) scan.first_offset = r.offset;
    scan.last_offset = r.offset;
    ++scan.records;
    if (each) each(r);
  }
  scan.sha256 = sha.hex();
  return scan;
}

}  // namespace

std::string encode_record(const kafka::Record& r) {
  json headers = json::array();
  for (const kafka::Header& h : r.headers) headers.push_back({{"key", h.key}, {"value", optional_b64(h.value)}});
  const char* type = r.timestamp_type == kafka::TimestampType::log_append_time ? "log_append_time"
                     : r.timestamp_type == kafka::TimestampType::create_time   ? "create_time"
                                                                                : "none";
  const json j = {{"offset", r.offset},     {"timestamp_ms", r.timestamp_ms}, {"timestamp_type", type},
                  {"key", optional_b64(r.key)}, {"value", optional_b64(r.value)}, {"headers", headers}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

kafka::Record decode_record(const std::string& line, const std::string& file, int line_number) {
  auto bad = [&](const std::string& why) -> kafka::Record {
    throw Error(ErrorKind::bad_input, "not a saved record: " + why, {.file = file, .line = line_number});
  };
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto bytes = [&](const json& v, const char* field) -> std::optional<std::string> {
    if (v.is_null()) return std::nullopt;
    if (!v.is_string()) bad(fmt::format("{} is neither base64 text nor null", field));
    auto decoded = unbase64(v.get<std::string>());
    if (!decoded) bad(fmt::format("{} is not valid base64", field));
    return decoded;
  };
  kafka::Record r;
  if (!j.contains("offset") || !j["offset"].is_number_integer()) return bad("no integer offset");
  if (!j.contains("timestamp_ms") || !j["timestamp_ms"].is_number_integer()) return bad("no integer timestamp_ms");
  if (!j.contains("key") || !j.contains("value") || !j.contains("headers") || !j["headers"].is_array()) {
    return bad("key, value and headers are required");
  }
  r.offset = j["offset"].get<int64_t>();
  r.timestamp_ms = j["timestamp_ms"].get<int64_t>();
  const std::string type = j.value("timestamp_type", "create_time");
  r.timestamp_type = type == "log_append_time" ? kafka::TimestampType::log_append_time
                     : type == "none"          ? kafka::TimestampType::none
                                               : kafka::TimestampType::create_time;
  r.key = bytes(j["key"], "key");
  r.value = bytes(j["value"], "value");
  for (const json& h : j["headers"]) {
    if (!h.is_object() || !h.contains("key") || !h["key"].is_string() || !h.contains("value")) return bad("a malformed header");
    r.headers.push_back({h["key"].get<std::string>(), bytes(h["value"], "header value")});
  }
  return r;
}

void write_file_whole(const std::string& path, const std::string& content) {
  AtomicFile file{fs::path(path)};
  file.write(content);
  file.commit();
}

std::optional<SaveManifest> read_manifest(const std::string& dir) {
  const fs::path path = fs::path(dir) / "manifest.json";
  std::ifstream in(path);
  if (!in) return std::nullopt;
  json j = json::parse(in, nullptr, false);
  auto bad = [&](const std::string& why) -> SaveManifest {
    throw Error(ErrorKind::bad_input, "not a kafka-dr manifest: " + why, {.file = path.string()});
  };
  if (j.is_discarded() || !j.is_object()) return bad("not JSON");
  try {
    SaveManifest m;
    m.format_version = j.at("format_version").get<int>();
    if (m.format_version != 1) return bad(fmt::format("format version {} (this kafka-dr reads 1)", m.format_version));
    m.link = j.at("link").get<std::string>();
    m.old_primary_cluster_id = j.at("old_primary_cluster_id").get<std::string>();
    m.new_primary_cluster_id = j.at("new_primary_cluster_id").get<std::string>();
    m.resync_id = j.at("resync_id").get<int64_t>();
    m.created_ms = j.at("created_ms").get<int64_t>();
    for (const json& p : j.at("partitions")) {
      m.partitions.push_back({p.at("topic").get<std::string>(), p.at("partition").get<int32_t>(),
                              p.at("file").get<std::string>(), p.at("records").get<int64_t>(),
                              p.at("first_offset").get<int64_t>(), p.at("last_offset").get<int64_t>(),
                              p.at("first_timestamp_ms").get<int64_t>(), p.at("last_timestamp_ms").get<int64_t>(),
                              p.at("bytes").get<int64_t>(), p.at("sha256").get<std::string>()});
      if (m.partitions.back().file.find('/') != std::string::npos) return bad("a file name with a '/'");
    }
    return m;
  } catch (const json::exception& e) {
    return bad(e.what());
  }
}

void verify_saved(const std::string& dir, const SavedPartition& saved) {
  const fs::path path = fs::path(dir) / saved.file;
  const FileScan scan = scan_file(path, nullptr);
  auto mismatch = [&](const std::string& what, auto want, auto got) {
    throw Error(ErrorKind::bad_input,
                fmt::format("does not match the manifest: {} is {}, the manifest says {} (changed or damaged since it "
                            "was saved)",
                            what, got, want),
                {.file = path.string(), .topic = saved.topic, .partition = saved.partition});
  };
  if (scan.records != saved.records) mismatch("the record count", saved.records, scan.records);
  if (saved.records > 0 && (scan.first_offset != saved.first_offset || scan.last_offset != saved.last_offset)) {
    mismatch("the offset range", fmt::format("{}..{}", saved.first_offset, saved.last_offset),
             fmt::format("{}..{}", scan.first_offset, scan.last_offset));
  }
  if (scan.sha256 != saved.sha256) mismatch("the SHA-256", saved.sha256, scan.sha256);
}

void for_each_saved(const std::string& dir, const SavedPartition& saved,
                    const std::function<void(const kafka::Record&)>& each) {
  scan_file(fs::path(dir) / saved.file, each);
}

SavedPartition save_records(const std::string& dir, const SaveManifest& header, const std::string& topic,
                            int32_t partition, const RecordSource& source) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::io, "cannot create the save directory: " + ec.message(), {.file = dir});
  SaveManifest manifest = header;
  manifest.partitions.clear();
  if (auto existing = read_manifest(dir)) {
    if (existing->old_primary_cluster_id != header.old_primary_cluster_id ||
        existing->new_primary_cluster_id != header.new_primary_cluster_id) {
      throw Error(ErrorKind::bad_input,
                  fmt::format("the directory holds records saved from cluster {} (link {}), not {}: use another --save-dir",
                              existing->old_primary_cluster_id, existing->link, header.old_primary_cluster_id),
                  {.file = dir});
    }
    manifest = *existing;
    for (const SavedPartition& p : existing->partitions) {
      if (p.topic == topic && p.partition == partition) {
        verify_saved(dir, p);  // a rerun: saved and intact already
        return p;
      }
    }
  }
  const std::string name = file_name(topic, partition);
  SavedPartition saved{topic, partition, name};
  {
    AtomicFile out(fs::path(dir) / name);
    Sha256 sha;
    source([&](const kafka::Record& r) {
      const std::string line = encode_record(r) + "\n";
      out.write(line);
      sha.update(line);
      saved.bytes += static_cast<int64_t>(line.size());
      if (saved.records++ == 0) {
        saved.first_offset = r.offset;
        saved.first_timestamp_ms = r.timestamp_ms;
      }
      saved.last_offset = r.offset;
      saved.last_timestamp_ms = r.timestamp_ms;
      return true;
    });
    saved.sha256 = sha.hex();
    out.commit();
  }
  verify_saved(dir, saved);  // read back from disk before the manifest names it
  manifest.partitions.push_back(saved);
  if (manifest.created_ms == 0) manifest.created_ms = now_ms();
  write_manifest(dir, manifest);
  return saved;
}

SavedPartition save_partition(const kafka::ClientConfig& consumer_config, const std::string& label,
                              const std::string& dir, const SaveManifest& header, const std::string& topic,
                              int32_t partition, int64_t from, int64_t to, std::chrono::milliseconds timeout) {
  return save_records(dir, header, topic, partition, [&](const std::function<bool(const kafka::Record&)>& sink) {
    read_range(consumer_config, label, topic, partition, from, to, timeout, sink);
  });
}

}  // namespace dr::resync
