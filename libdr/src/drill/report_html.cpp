// The drill report as one self-contained HTML page: no script, no font or style sheet from the
// network; the charts are gnuplot SVGs embedded as data: URIs (each keeps its own ids and styles).
#include <string>

#include <fmt/format.h>

#include "dr/base64.hpp"
#include "dr/drill/report.hpp"
#include "drill/report_charts.hpp"
#include "drill/report_tables.hpp"

namespace dr::drill {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// A cell whose text is FAILED, MISSED or ok/met gets a colour class.
std::string cell_class(const std::string& text) {
  if (text == "FAILED" || text == "MISSED") return " class=\"bad\"";
  if (text == "ok" || text == "met") return " class=\"good\"";
  return {};
}

void render(const detail::Table& t, std::string& out) {
  if (!t.heading.empty()) out += "<h2>" + escape(t.heading) + "</h2>\n";
  if (!t.intro.empty()) out += "<p>" + escape(t.intro) + "</p>\n";
  if (!t.rows.empty()) {
    out += t.columns.empty() ? "<table class=\"header\">\n" : "<table>\n<thead><tr>";
    for (const auto& c : t.columns) out += "<th>" + escape(c) + "</th>";
    if (!t.columns.empty()) out += "</tr></thead>\n";
    out += "<tbody>\n";
    for (const auto& row : t.rows) {
      out += "<tr>";
      for (size_t i = 0; i < row.size(); ++i) {
        // Key/value tables: the key is a header cell.
        const bool key = t.columns.empty() && i == 0;
        out += key ? "<th>" : "<td" + cell_class(row[i]) + ">";
        out += escape(row[i]);
        out += key ? "</th>" : "</td>";
      }
      out += "</tr>\n";
    }
    out += "</tbody></table>\n";
  }
  if (!t.bullets.empty()) {
    out += "<ul>\n";
    for (const auto& b : t.bullets) out += "<li>" + escape(b) + "</li>\n";
    out += "</ul>\n";
  }
}

constexpr const char* kStyle = R"(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #1f2328; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .3rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
.verdict { display: inline-block; padding: .25rem .8rem; border-radius: .4rem; font-weight: 700; color: white; }
.verdict.passed { background: #2e7d32; } .verdict.failed { background: #c62828; }
table { border-collapse: collapse; margin: .5rem 0; font-size: .92rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
thead th { background: #f6f8fa; }
table.header th { background: #f6f8fa; white-space: nowrap; }
td.good { color: #2e7d32; font-weight: 600; } td.bad { color: #c62828; font-weight: 700; }
figure { margin: 1rem 0 2rem 0; } figure img { width: 100%; height: auto; border: 1px solid #d0d7de; }
figcaption { font-size: .9rem; color: #57606a; margin-top: .3rem; }
.missing { padding: 1rem; border: 1px dashed #c62828; color: #c62828; }
footer { margin-top: 3rem; font-size: .85rem; color: #57606a; }
)";

}  // namespace

std::string to_html(const DrillReport& report, const std::string& gnuplot) {
  const std::string title = detail::report_title(report);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + escape(title) + "</title>\n<style>" + std::string(kStyle) + "</style>\n</head>\n<body>\n";
  out += fmt::format("<h1>{}</h1>\n<p><span class=\"verdict {}\">{}</span></p>\n", escape(title),
                     report.passed ? "passed" : "failed", report.passed ? "PASSED" : "FAILED");
  render(detail::header_table(report), out);

  auto tables = detail::body_tables(report);
  // The charts go after the results and the RTO steps, before the detail tables.
  size_t before_charts = 0;
  while (before_charts < tables.size() && tables[before_charts].heading != "Steps") ++before_charts;
  for (size_t i = 0; i < before_charts; ++i) render(tables[i], out);

  out += "<h2>Charts</h2>\n";
  for (const auto& chart : detail::draw_charts(report, gnuplot)) {
    out += "<figure>\n";
    if (!chart.svg.empty()) {
      out += "<img alt=\"" + escape(chart.title) + "\" src=\"data:image/svg+xml;base64," + base64(chart.svg) + "\">\n";
    } else {
      out += "<div class=\"missing\">Chart not drawn: " + escape(chart.error) + "</div>\n";
    }
    out += "<figcaption><strong>" + escape(chart.title) + ".</strong> " + escape(chart.caption) + "</figcaption>\n";
    out += "</figure>\n";
  }
  for (size_t i = before_charts; i < tables.size(); ++i) render(tables[i], out);
  out += "<footer>Written by dr-drill (kafka-dr " + escape(report.kafka_dr_version) +
         "). Charts drawn by gnuplot. The same data: report.json; the same tables: report.md.</footer>\n";
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace dr::drill
