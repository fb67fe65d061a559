// dr-config: check and show Kafka client configs as kafka-dr reads them.
#include <nlohmann/json.hpp>

#include "dr/kafka/client.hpp"
#include "dr/kafka/config.hpp"
#include "tool_main.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "Check a Kafka client config (MirrorMaker-style .properties files plus -X overrides) and print the "
      "effective librdkafka configuration, secrets masked.\n\n"
      "Java client keys are mapped (partition.assignment.strategy class names, receive.buffer.bytes, "
      "sasl.jaas.config for PLAIN/SCRAM, ...); keys that mean nothing to a byte-copying mirror "
      "(serializers, interceptors, metrics) are ignored with a warning; unknown keys, and settings that "
      "cannot be honoured (a JKS keystore, acks=1 with idempotence, ...), are errors naming FILE:LINE. "
      "--java-keys prints the whole table.\n\n"
      "Examples:\n"
      "  dr-config --config consumer.properties                 # check, print what was set\n"
      "  dr-config --config producer.properties -X linger.ms=20 --all   # every librdkafka setting\n"
      "  dr-config --config consumer.properties --format json\n"
      "  dr-config --config standby.properties --ping             # is it up, and which cluster is it?\n",
      "dr-config"};
  std::vector<std::string> files;
  std::vector<std::string> overrides;
  std::string role = "consumer";
  std::string format = "text";
  std::string log_level;
  bool all = false;
  bool quiet = false;
  bool ping = false;
  bool java_keys = false;
  app.add_option("-c,--config", files, "A .properties file; repeat to layer several (later wins)");
  app.add_option("-X", overrides, "Override one property: -X key=value (repeatable; wins over files)");
  app.add_option("--role", role, "Client role the config is for")->check(CLI::IsMember({"consumer", "producer", "admin"}))->default_val("consumer");
  app.add_flag("--all", all, "Also list librdkafka's defaults");
  app.add_flag("-q,--quiet", quiet, "Only check; print nothing on success");
  app.add_flag("--ping", ping, "Connect with the config and print the cluster id (exit 1 if no broker answers in 10 s)");
  app.add_flag("--java-keys", java_keys,
               "Print what kafka-dr does with each key of Kafka's Java clients (a Markdown table) and exit");
  app.add_option("--format", format, "Output: text or json")->check(CLI::IsMember({"text", "json"}))->default_val("text");
  dr::tools::add_log_level(app, log_level);
  app.footer(dr::tools::kExitCodesHelp);

  return dr::tools::run_tool(app, argc, argv, [&] {
    dr::log::set_level(dr::log::parse_level(log_level));
    if (java_keys) {
      fmt::print("{}", dr::kafka::java_key_table_markdown());
      return dr::exit_ok;
    }
    using dr::kafka::ClientRole;
    ClientRole r = role == "producer" ? ClientRole::producer : role == "admin" ? ClientRole::admin : ClientRole::consumer;
    dr::kafka::ClientConfig config(r);
    for (const auto& f : files) config.apply_file(f);
    for (const auto& x : overrides) config.apply_override(x);
    for (const auto& w : config.warnings()) dr::log::warn("{}: {}", w.origin.to_string(), w.message);
    config.check();
    if (ping) {
      dr::kafka::Admin admin(config);
      const std::string id = admin.cluster_id(std::chrono::seconds(10));
      const auto topics = admin.list_topics(std::chrono::seconds(10));
      if (format == "json") {
        fmt::print("{}\n", nlohmann::json{{"cluster_id", id}, {"topics", topics.size()}}.dump());
      } else {
        fmt::print("{}: cluster id {}, {} topics\n", dr::kafka::describe_cluster(config), id, topics.size());
      }
      return dr::exit_ok;
    }
    if (quiet) return dr::exit_ok;
    auto entries = dr::kafka::dump_config(config, all);
    if (format == "json") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& e : entries) {
        out.push_back({{"key", e.key}, {"value", e.value}, {"origin", e.origin.empty() ? nullptr : nlohmann::json(e.origin)}});
      }
      fmt::print("{}\n", out.dump(2));
    } else {
      size_t width = 0;
      for (const auto& e : entries) width = std::max(width, e.key.size());
      for (const auto& e : entries) {
        const std::string value = dr::kafka::escape_control_bytes(e.value);
        if (e.origin.empty()) fmt::print("{:<{}} = {}\n", e.key, width, value);
        else fmt::print("{:<{}} = {}    # {}\n", e.key, width, value, e.origin);
      }
    }
    return dr::exit_ok;
  });
}
