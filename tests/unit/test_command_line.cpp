// Command lines as recorded in audit rows and logs: every secret masked, by the config dump's rule.
#include <doctest/doctest.h>

#include "dr/kafka/command_line.hpp"
#include "dr/kafka/config.hpp"

using dr::kafka::mask_arguments;
using dr::kafka::masked_command_line;

TEST_CASE("command line: secrets are masked in every spelling a tool accepts") {
  const std::vector<std::string> argv{"dr-failover", "--state", "s.db", "-X", "sasl.password=hunter2", "-Xssl.key.password=k3y",
                                      "--sasl.password=p4ss", "--ssl.keystore.password", "st0re", "-X",
                                      "source.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
                                      "username=\"u\" password=\"pw-in-j4as\";",
                                      "-X", "sasl.oauthbearer.client.secret=s3cret", "--at", "-5m", "-X", "linger.ms=5"};
  const auto masked = mask_arguments(argv);
  REQUIRE(masked.size() == argv.size());
  CHECK(masked[4] == "sasl.password=********");
  CHECK(masked[5] == "-Xssl.key.password=********");
  CHECK(masked[6] == "--sasl.password=********");
  CHECK(masked[7] == "--ssl.keystore.password");
  CHECK(masked[8] == "********");
  CHECK(masked[10] == "source.sasl.jaas.config=********");
  CHECK(masked[12] == "sasl.oauthbearer.client.secret=********");
  CHECK(masked[14] == "-5m");  // not a value of a secret
  CHECK(masked[16] == "linger.ms=5");
  const std::string line = masked_command_line(argv);
  for (const char* secret : {"hunter2", "k3y", "p4ss", "st0re", "pw-in-j4as", "s3cret"}) {
    INFO(secret);
    CHECK(line.find(secret) == std::string::npos);
  }
  CHECK(line.find("--state s.db -X sasl.password=******** ") != std::string::npos);
}

TEST_CASE("command line: the mask is the config dump's (one rule)") {
  for (const char* key : {"sasl.password", "ssl.key.password", "sasl.jaas.config", "ssl.key.pem", "target.sasl.password",
                          "linger.ms", "bootstrap.servers", "sasl.username"}) {
    INFO(key);
    const std::string arg = std::string(key) + "=v";
    CHECK(mask_arguments({"-X", arg})[1] == std::string(key) + "=" + dr::kafka::mask_secret(key, "v"));
    CHECK((dr::kafka::mask_secret(key, "v") == "********") == dr::kafka::is_secret_key(key));
  }
  CHECK(dr::kafka::mask_secret("sasl.password", "") == "");  // nothing to hide: shown as unset
  CHECK(masked_command_line({"dr-failover", "--groups", "billing .*", "it's"}) == "dr-failover --groups 'billing .*' 'it'\\''s'");
}
