// dr-mirror's static group membership identity (group.instance.id), no broker.
#include <doctest/doctest.h>

#include "dr/error.hpp"
#include "dr/mirror/mirror.hpp"

using dr::mirror::member_identity;
using dr::mirror::valid_group_instance_id;

TEST_CASE("static membership: the identity is --instance-id, else the config's, else host and link") {
  CHECK(member_identity("", "", "mirror1.dc2", "primary->standby") == "mirror1.dc2.primary-to-standby");
  CHECK(member_identity("", "from-config", "mirror1", "primary->standby") == "from-config");
  CHECK(member_identity("from-flag", "from-config", "mirror1", "primary->standby") == "from-flag");
  // Characters Kafka does not allow in a group.instance.id are replaced.
  CHECK(member_identity("", "", "host name", "a b->c:d") == "host_name.a_b-to-c_d");
  CHECK(member_identity("", "", "", "p->s") == "localhost.p-to-s");
  const std::string id = member_identity("", "", std::string(300, 'h'), "p->s");
  CHECK(valid_group_instance_id(id + "-63"));
  CHECK(valid_group_instance_id("mirror1.primary-to-standby-0"));
  CHECK_FALSE(valid_group_instance_id(""));
  CHECK_FALSE(valid_group_instance_id("a/b"));
  CHECK_FALSE(valid_group_instance_id(std::string(250, 'x')));
}

TEST_CASE("static membership: a bad --instance-id is bad input naming the flag") {
  dr::mirror::MirrorOptions o;
  o.consumer_config = "c.properties";
  o.producer_config = "p.properties";
  o.include = "t";
  o.instance_id = "two words";
  try {
    dr::mirror::validate_options(o);
    FAIL("expected an error");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK(e.context().flag == "--instance-id");
  }
  o.instance_id = "mirror1.a";
  CHECK_NOTHROW(dr::mirror::validate_options(o));
}
