// dr-drill run --local: the rehearsal anyone can run on one machine. Two clusters from the
// project's scripts/kafka-clusters, their client configs, the canary drill, then the clusters
// stopped and removed (unless --keep).
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "dr/drill/drill.hpp"
#include "dr/error.hpp"
#include "dr/log.hpp"
#include "dr/process.hpp"

namespace dr::drill {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// "NAME BOOTSTRAP CLUSTER_ID" lines of `kafka-clusters start`, and the VERSION column of `status`.
struct LocalCluster {
  std::string bootstrap;
  std::string version;
};

std::map<std::string, LocalCluster> parse_status(const std::string& out) {
  // status: NAME BOOTSTRAP CLUSTER_ID PID STATE VERSION
  std::map<std::string, LocalCluster> found;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string name, bootstrap, id, pid, state, version;
    if (words >> name >> bootstrap >> id >> pid >> state >> version) found[name] = {bootstrap, version};
  }
  return found;
}

process::Captured clusters(const std::string& script, const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {script};
  argv.insert(argv.end(), args.begin(), args.end());
  return process::run_and_capture(argv, "", timeout);
}

}  // namespace

DrillReport run_local_drill(DrillOptions o, const std::string& script) {
  if (!fs::exists(script)) {
    throw_bad_input(fmt::format("{} not found: --local starts clusters with the project's scripts/kafka-clusters", script),
                    {.file = script, .flag = "--clusters-script"});
  }
  fs::create_directories(o.work_dir);
  const std::string dir = (fs::absolute(o.work_dir) / "clusters").string();
  log::info("drill --local: starting two Kafka clusters under {} (the first run downloads Kafka)", dir);
  auto started = clusters(script, {"start", "--dir", dir, "primary", "standby"}, 600s);
  if (started.exit_code != 0) {
    throw Error(ErrorKind::kafka, fmt::format("{} start failed (exit {}):\n{}{}", script, started.exit_code, started.out, started.err));
  }
  struct Stop {
    std::string script, dir;
    bool keep;
    ~Stop() {
      try {
        clusters(script, keep ? std::vector<std::string>{"stop", "--dir", dir}
                              : std::vector<std::string>{"stop", "--dir", dir, "--purge"}, 120s);
      } catch (const std::exception& e) {
        log::error("drill --local: stopping the clusters failed: {}", e.what());
      }
    }
  } stop{script, dir, o.keep};
  auto status = parse_status(clusters(script, {"status", "--dir", dir}, 60s).out);
  for (const char* name : {"primary", "standby"}) {
    if (!status.count(name)) throw Error(ErrorKind::kafka, fmt::format("cluster {} did not start (see {})", name, dir));
    const fs::path config = fs::path(o.work_dir) / fmt::format("{}.properties", name);
    std::ofstream out(config);
    out << "bootstrap.servers=" << status[name].bootstrap << "\n";
    if (!out) throw Error(ErrorKind::io, "cannot write the client config", {.file = config.string()});
    (std::string(name) == "primary" ? o.primary_config : o.standby_config) = config.string();
  }
  o.local = true;
  o.kafka_version = status["primary"].version;
  o.work_dir = (fs::path(o.work_dir) / "drill").string();
  auto report = run_canary_drill(o);
  if (o.keep) report.notes.push_back(fmt::format("--keep: the clusters still run; stop them with {} stop --dir {}", script, dir));
  return report;
}

}  // namespace dr::drill
