// The drill report as Markdown: for tickets, change records and auditors.
#include <string>

#include "dr/drill/report.hpp"
#include "drill/report_tables.hpp"

namespace dr::drill {
namespace {

// A table cell on one line, with the characters that would break a Markdown table escaped.
std::string cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out.empty() ? " " : out;
}

void render(const detail::Table& t, std::string& out) {
  if (!t.heading.empty()) out += "\n## " + t.heading + "\n\n";
  if (!t.intro.empty()) out += t.intro + "\n\n";
  if (!t.rows.empty()) {
    std::vector<std::string> columns = t.columns;
    if (columns.empty()) columns = {" ", " "};
    out += "|";
    for (const auto& c : columns) out += " " + cell(c) + " |";
    out += "\n|";
    for (size_t i = 0; i < columns.size(); ++i) out += "---|";
    out += "\n";
    for (const auto& row : t.rows) {
      out += "|";
      for (const auto& c : row) out += " " + cell(c) + " |";
      out += "\n";
    }
    if (!t.bullets.empty()) out += "\n";
  }
  for (const auto& b : t.bullets) out += "- " + cell(b) + "\n";
}

}  // namespace

std::string to_markdown(const DrillReport& report) {
  std::string out = "# " + detail::report_title(report) + "\n\n";
  render(detail::header_table(report), out);
  for (const auto& t : detail::body_tables(report)) render(t, out);
  return out;
}

}  // namespace dr::drill
