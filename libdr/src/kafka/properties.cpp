// java.util.Properties-compatible reader; see config.hpp for the contract.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/kafka/config.hpp"
#include "kafka/config_internal.hpp"

namespace dr::kafka {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// A logical line: natural lines joined where a line ends in an odd number of backslashes.
struct LogicalLine {
  std::string text;  // still escaped; continuation backslashes removed
  int line = 0;
};

std::vector<LogicalLine> split_logical_lines(std::string_view text) {
  std::vector<LogicalLine> out;
  size_t pos = 0;
  int line_no = 0;
  bool continuing = false;
  while (pos < text.size()) {
    size_t end = text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view natural = text.substr(pos, end - pos);
    ++line_no;
    pos = end;
    if (pos < text.size() && text[pos] == '\r') ++pos;
    if (end < text.size() && text[end] == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
    else if (end < text.size() && text[end] == '\n') ++pos;

    size_t first = 0;
    while (first < natural.size() && is_blank(natural[first])) ++first;
    natural.remove_prefix(first);
    if (!continuing) {
      if (natural.empty()) continue;
      if (natural[0] == '#' || natural[0] == '!') continue;  // comments never continue
      out.push_back({std::string(), line_no});
    }
    size_t backslashes = 0;
    while (backslashes < natural.size() && natural[natural.size() - 1 - backslashes] == '\\') ++backslashes;
    continuing = backslashes % 2 == 1;
    if (continuing) natural.remove_suffix(1);
    out.back().text.append(natural);
  }
  return out;
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Resolves escapes in s[from, to). Throws on a malformed \uXXXX.
std::string unescape(std::string_view s, const std::string& source, int line) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c != '\\' || i + 1 == s.size()) {
      if (c != '\\') out += c;
      continue;
    }
    char e = s[++i];
    switch (e) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        unsigned cp = 0;
        if (s.size() - (i + 1) < 4) {
          throw_config_error("malformed \\uXXXX escape: needs four hex digits", {.file = source, .line = line, .flag = {}});
        }
        for (int k = 1; k <= 4; ++k) {
          char h = s[i + static_cast<size_t>(k)];
          cp <<= 4;
          if (h >= '0' && h <= '9') cp |= static_cast<unsigned>(h - '0');
          else if (h >= 'a' && h <= 'f') cp |= static_cast<unsigned>(h - 'a' + 10);
          else if (h >= 'A' && h <= 'F') cp |= static_cast<unsigned>(h - 'A' + 10);
          else throw_config_error(fmt::format("malformed \\uXXXX escape: '{}' is not a hex digit", h),
                                  {.file = source, .line = line, .flag = {}});
        }
        i += 4;
        append_utf8(out, cp);
        break;
      }
      default: out += e; break;  // \=, \:, \#, \!, \\, \<space> and any other char stand for themselves
    }
  }
  return out;
}

}  // namespace

std::vector<Property> parse_properties(std::string_view text, const std::string& source) {
  std::vector<Property> out;
  for (const LogicalLine& ll : split_logical_lines(text)) {
    std::string_view s = ll.text;
    size_t key_end = 0;
    bool escaped = false;
    for (; key_end < s.size(); ++key_end) {
      char c = s[key_end];
      if (escaped) { escaped = false; continue; }
      if (c == '\\') { escaped = true; continue; }
      if (c == '=' || c == ':' || is_blank(c)) break;
    }
    size_t value_start = key_end;
    bool has_separator = false;
    while (value_start < s.size() && is_blank(s[value_start])) { ++value_start; has_separator = true; }
    if (value_start < s.size() && (s[value_start] == '=' || s[value_start] == ':')) {
      ++value_start;
      has_separator = true;
      while (value_start < s.size() && is_blank(s[value_start])) ++value_start;
    }
    std::string key = unescape(s.substr(0, key_end), source, ll.line);
    if (key.empty()) {
      throw_config_error(fmt::format("malformed line: empty key in '{}'", s), {.file = source, .line = ll.line, .flag = {}});
    }
    if (!has_separator) {
      throw_config_error(fmt::format("malformed line: '{}' has no value (expected key=value)", key),
                         {.file = source, .line = ll.line, .flag = {}});
    }
    out.push_back({std::move(key), unescape(s.substr(value_start), source, ll.line), ll.line});
  }
  return out;
}

std::vector<Property> read_properties_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw_config_error("cannot read config file: it is a directory", {.file = path, .line = 0, .flag = {}});
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw_config_error(fmt::format("cannot read config file: {}", std::strerror(errno)), {.file = path, .line = 0, .flag = {}});
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    throw_config_error(fmt::format("cannot read config file: {}", std::strerror(errno)), {.file = path, .line = 0, .flag = {}});
  }
  return parse_properties(buf.str(), path);
}

}  // namespace dr::kafka
