#include "integration/clusters.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace dr::test {

namespace {

std::string clusters_dir() {
  const char* dir = std::getenv("KAFKA_DR_CLUSTERS_DIR");
  if (!dir || !*dir) {
    throw std::runtime_error("KAFKA_DR_CLUSTERS_DIR is not set: run integration tests through ctest, whose fixture "
                             "starts the clusters with scripts/kafka-clusters");
  }
  return dir;
}

std::map<std::string, std::string> read_env_file() {
  std::string path = clusters_dir() + "/clusters.env";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path + ": did the kafka.start fixture fail?");
  std::map<std::string, std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Cluster cluster(const std::string& name) {
  auto env = read_env_file();
  auto bs = env.find(fmt::format("KAFKA_DR_{}_BOOTSTRAP", upper(name)));
  auto id = env.find(fmt::format("KAFKA_DR_{}_CLUSTER_ID", upper(name)));
  if (bs == env.end() || id == env.end()) throw std::runtime_error("cluster '" + name + "' is not in clusters.env");
  return {name, bs->second, id->second};
}

SaslSslListener sasl_ssl_listener(const std::string& name) {
  auto env = read_env_file();
  auto get = [&](const std::string& what) {
    auto it = env.find(fmt::format("KAFKA_DR_{}_{}", upper(name), what));
    if (it == env.end()) {
      throw std::runtime_error(fmt::format("cluster '{}' has no SASL_SSL listener in clusters.env ({} missing): start it "
                                           "with scripts/kafka-clusters start --sasl-ssl",
                                           name, what));
    }
    return it->second;
  };
  return {get("SASL_SSL_BOOTSTRAP"), get("CA_LOCATION"), get("SCRAM_USER"), get("SCRAM_DENIED_USER"), get("SCRAM_PASSWORD")};
}

int broker_pid(const std::string& name) {
  const std::string path = clusters_dir() + "/" + name + "/kafka.pid";
  std::ifstream in(path);
  int pid = 0;
  if (!(in >> pid) || pid <= 0 || ::kill(pid, 0) != 0) throw std::runtime_error("no running broker for " + name + " (" + path + ")");
  return pid;
}

namespace {

void run_clusters_script(const std::string& args) {
  const std::string cmd = fmt::format("'{}/scripts/kafka-clusters' {} --dir '{}' {} >&2", DR_DEFAULT_SOURCE_DIR,
                                      args.substr(0, args.find(' ')), clusters_dir(), args.substr(args.find(' ') + 1));
  const int status = std::system(cmd.c_str());
  if (status != 0) throw std::runtime_error(fmt::format("'{}' failed (status {})", cmd, status));
}

}  // namespace

void stop_broker(const std::string& name, bool kill) { run_clusters_script(fmt::format("stop {}{}", kill ? "--kill " : "", name)); }

void start_broker(const std::string& name) { run_clusters_script("start " + name); }

std::string kafka_version(const std::string& name) {
  std::ifstream in(clusters_dir() + "/" + name + "/kafka_version");
  std::string v;
  if (!(in >> v)) throw std::runtime_error("no kafka_version for cluster " + name + " in " + clusters_dir());
  return v;
}

void run_kafka_class(const std::string& java_class, const std::string& args) { run_clusters_script("run-class " + java_class + " " + args); }

kafka::ClientConfig client_config(const Cluster& c, kafka::ClientRole role) {
  kafka::ClientConfig config(role);
  config.set_default("bootstrap.servers", c.bootstrap);
  config.set_default("client.id", "dr-test-" + c.name);
  return config;
}

std::string unique_topic(const std::string& prefix) {
  static std::atomic<int> counter{0};
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  return fmt::format("{}-{}-{}-{}", prefix, ::getpid(), ++counter, ms);
}

}  // namespace dr::test
