#include "integration/clusters.hpp"

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

std::map<std::string, std::string> read_env_file() {
  const char* dir = std::getenv("KAFKA_DR_CLUSTERS_DIR");
  if (!dir || !*dir) {
    throw std::runtime_error("KAFKA_DR_CLUSTERS_DIR is not set: run integration tests through ctest, whose fixture "
                             "starts the clusters with scripts/kafka-clusters");
  }
  std::string path = std::string(dir) + "/clusters.env";
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
