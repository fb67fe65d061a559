#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "dr/error.hpp"
#include "dr/kafka/config.hpp"

using dr::kafka::parse_properties;

namespace {
// Parses and returns the error thrown, failing the test if none is.
dr::Error parse_error(std::string_view text) {
  try {
    parse_properties(text, "test.properties");
  } catch (const dr::Error& e) {
    return e;
  }
  FAIL("expected a parse error for: " << text);
  throw std::logic_error("unreachable");
}
}  // namespace

TEST_CASE("properties: the three separators and surrounding whitespace") {
  auto props = parse_properties("a=1\nb: 2\nc 3\n  d  =  4  \ne\t:\tfive\n", "t");
  REQUIRE(props.size() == 5);
  CHECK(props[0].key == "a");
  CHECK(props[0].value == "1");
  CHECK(props[1].key == "b");
  CHECK(props[1].value == "2");
  CHECK(props[2].key == "c");
  CHECK(props[2].value == "3");
  CHECK(props[3].key == "d");
  CHECK(props[3].value == "4  ");  // trailing whitespace is part of the value, as in Java
  CHECK(props[4].value == "five");
}

TEST_CASE("properties: comments, blank lines and line numbers") {
  auto props = parse_properties("# comment\n! also a comment\n\n   \nkey=value # not a comment\n  # indented comment\nz=1", "t");
  REQUIRE(props.size() == 2);
  CHECK(props[0].key == "key");
  CHECK(props[0].value == "value # not a comment");
  CHECK(props[0].line == 5);
  CHECK(props[1].line == 7);
}

TEST_CASE("properties: line continuations join lines and skip leading whitespace") {
  auto props = parse_properties("bootstrap.servers=a:9092,\\\n    b:9092,\\\n\tc:9092\nnext=1\n", "t");
  REQUIRE(props.size() == 2);
  CHECK(props[0].value == "a:9092,b:9092,c:9092");
  CHECK(props[0].line == 1);
  CHECK(props[1].key == "next");
  CHECK(props[1].line == 4);
}

TEST_CASE("properties: an even number of trailing backslashes does not continue") {
  auto props = parse_properties("path=C:\\\\\nnext=1\n", "t");
  REQUIRE(props.size() == 2);
  CHECK(props[0].value == "C:\\");
}

TEST_CASE("properties: a comment line ending in a backslash does not continue") {
  auto props = parse_properties("# comment \\\nkey=v\n", "t");
  REQUIRE(props.size() == 1);
  CHECK(props[0].key == "key");
}

TEST_CASE("properties: escapes in keys and values") {
  auto props = parse_properties("my\\=key\\:x=a\\tb\\nc\\\\d\\u00e9\\u20AC\nsp\\ ace=1\n", "t");
  REQUIRE(props.size() == 2);
  CHECK(props[0].key == "my=key:x");
  CHECK(props[0].value == "a\tb\nc\\d\xC3\xA9\xE2\x82\xAC");
  CHECK(props[1].key == "sp ace");
}

TEST_CASE("properties: CRLF and CR line endings") {
  auto props = parse_properties("a=1\r\nb=2\rc=3", "t");
  REQUIRE(props.size() == 3);
  CHECK(props[0].value == "1");
  CHECK(props[1].value == "2");
  CHECK(props[2].line == 3);
}

TEST_CASE("properties: explicit empty value is allowed") {
  auto props = parse_properties("ssl.endpoint.identification.algorithm=\n", "t");
  REQUIRE(props.size() == 1);
  CHECK(props[0].value.empty());
}

TEST_CASE("properties: malformed lines name the file and line") {
  SUBCASE("a key with no separator and no value") {
    auto e = parse_error("a=1\nbootstrap.servers\n");
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK(e.context().file == "test.properties");
    CHECK(e.context().line == 2);
    CHECK(std::string(e.what()).find("test.properties:2:") == 0);
    CHECK(std::string(e.what()).find("bootstrap.servers") != std::string::npos);
  }
  SUBCASE("an empty key") {
    auto e = parse_error("\n\n=value\n");
    CHECK(e.context().line == 3);
  }
  SUBCASE("a truncated unicode escape") {
    auto e = parse_error("k=\\u12\n");
    CHECK(e.context().line == 1);
    CHECK(std::string(e.what()).find("\\uXXXX") != std::string::npos);
  }
  SUBCASE("a non-hex unicode escape") {
    auto e = parse_error("x=1\nk=\\u12G4\n");
    CHECK(e.context().line == 2);
  }
}

TEST_CASE("properties: unreadable files are bad input naming the path") {
  const std::string missing = "/nonexistent/dir/consumer.properties";
  try {
    dr::kafka::read_properties_file(missing);
    FAIL("expected an error");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK(e.context().file == missing);
  }
  auto dir = std::filesystem::temp_directory_path();
  CHECK_THROWS_AS(dr::kafka::read_properties_file(dir.string()), dr::Error);
}

TEST_CASE("properties: files are read with their line numbers") {
  auto path = std::filesystem::temp_directory_path() / "dr-test-read.properties";
  {
    std::ofstream out(path);
    out << "# MirrorMaker consumer\nbootstrap.servers=localhost:9092\ngroup.id=mm\n";
  }
  auto props = dr::kafka::read_properties_file(path.string());
  std::filesystem::remove(path);
  REQUIRE(props.size() == 2);
  CHECK(props[1].key == "group.id");
  CHECK(props[1].line == 3);
}
