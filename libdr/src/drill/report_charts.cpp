// gnuplot scripts for the drill report's charts. Times are seconds relative to the disaster moment
// (negative before it), so every chart lines up on the same event.
#include "drill/report_charts.hpp"

#include <algorithm>
#include <chrono>
#include <map>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/process.hpp"

namespace dr::drill::detail {
namespace {

// Most points per partition in the continuity chart; the records around the switch to the standby
// are always kept, the rest thinned evenly (a long drill would otherwise make a page of megabytes).
constexpr size_t kMaxPointsPerPartition = 1500;
constexpr size_t kKeptAroundSwitch = 100;

int64_t zero_ms(const DrillReport& r) { return r.disaster_ms > 0 ? r.disaster_ms : r.started_ms; }

std::string seconds(const DrillReport& r, int64_t ms) { return fmt::format("{:.3f}", (ms - zero_ms(r)) / 1000.0); }

// A gnuplot single-quoted string: only the quote itself needs doubling.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "''";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out + "'";
}

std::string preamble(int height) {
  return fmt::format(
      "set terminal svg size 960,{} dynamic noenhanced font 'sans,12' background rgb 'white'\n"
      "set border 3\nset tics nomirror\nset grid xtics ytics lc rgb '#e0e0e0'\n"
      "set key outside below center horizontal\n",
      height);
}

std::string disaster_marker(const DrillReport& r) {
  if (r.disaster_ms <= 0) return {};
  const char* what = r.scope == "groups" && r.mode == "planned" ? "switchover started" : "disaster (mirror killed)";
  return fmt::format("set arrow from 0, graph 0 to 0, graph 1 nohead dt 2 lw 2 lc rgb '#c62828' front\n"
                     "set label '{} ' at 0, graph 1 offset 0,0.8 right tc rgb '#c62828' front\n",
                     what);
}

std::string xlabel(const DrillReport& r) {
  return r.disaster_ms > 0 ? "set xlabel 'seconds since the disaster'\n" : "set xlabel 'seconds since the drill started'\n";
}

std::string timeline_script(const DrillReport& r) {
  std::string s = preamble(60 + 34 * static_cast<int>(std::max<size_t>(r.steps.size(), 3)));
  s += xlabel(r) + disaster_marker(r);
  s += "unset key\nset style fill solid 0.85 border lc rgb '#333333'\n";
  // First step on top: the range runs from the last index down to the first.
  s += fmt::format("set yrange [{}:-0.6]\n", static_cast<double>(r.steps.size()) - 0.4);
  std::string tics;
  std::string data = "$steps << EOD\n";
  for (size_t i = 0; i < r.steps.size(); ++i) {
    const auto& st = r.steps[i];
    const int64_t end = st.finished_ms > 0 ? st.finished_ms : st.started_ms;
    if (!tics.empty()) tics += ", ";
    tics += fmt::format("{} {}", quoted(st.title.empty() ? st.name : st.title), i);
    data += fmt::format("{} {} {} {}\n", i, seconds(r, st.started_ms), seconds(r, end), st.ok ? 1 : 0);
  }
  data += "EOD\n";
  s += "set ytics (" + tics + ")\n" + data;
  // A step too short to see still gets a sliver; failed steps are red.
  s += "plot $steps using (($2+$3)/2):1:(($3-$2)/2 > 0.05 ? ($3-$2)/2 : 0.05):(0.32):($4 > 0 ? 0x2e7d32 : 0xc62828) "
       "with boxxyerror lc rgb variable\n";
  return s;
}

std::string rate(int64_t later, int64_t earlier, int64_t dt_ms) {
  if (dt_ms <= 0) return "NaN";
  return fmt::format("{:.1f}", static_cast<double>(later - earlier) * 1000.0 / static_cast<double>(dt_ms));
}

std::string lag_script(const DrillReport& r) {
  std::string s = preamble(340) + xlabel(r) + disaster_marker(r);
  s += "set ylabel 'canary mirror lag (records)'\nset y2label 'records per second'\nset y2tics\nset ytics nomirror\n"
       "set yrange [0:*]\nset y2range [0:*]\n";
  std::string data = "$samples << EOD\n";
  for (size_t i = 1; i < r.samples.size(); ++i) {
    const auto& a = r.samples[i - 1];
    const auto& b = r.samples[i];
    const int64_t dt = b.at_ms - a.at_ms;
    data += fmt::format("{} {} {} {} {}\n", seconds(r, b.at_ms),
                        b.mirror_lag_records >= 0 ? std::to_string(b.mirror_lag_records) : "NaN",
                        rate(b.produced, a.produced, dt), rate(b.consumed_primary, a.consumed_primary, dt),
                        rate(b.consumed_standby, a.consumed_standby, dt));
  }
  data += "EOD\n";
  s += data;
  s += "plot $samples using 1:2 axes x1y1 with lines lw 2 lc rgb '#6a1b9a' title 'mirror lag (records, left)', "
       "'' using 1:3 axes x1y2 with lines lw 1.5 lc rgb '#1565c0' title 'produced/s', "
       "'' using 1:4 axes x1y2 with lines lw 1.5 lc rgb '#2e7d32' title 'consumed/s on the primary', "
       "'' using 1:5 axes x1y2 with lines lw 1.5 lc rgb '#ef6c00' title 'consumed/s on the standby'\n";
  return s;
}

// Indexes of `consumed` to draw: all around the first record read on the standby, the rest thinned.
std::vector<size_t> thinned(const std::vector<Consumed>& consumed) {
  const size_t n = consumed.size();
  size_t switch_at = n;
  for (size_t i = 0; i < n; ++i)
    if (consumed[i].on_standby) {
      switch_at = i;
      break;
    }
  const size_t stride = std::max<size_t>(1, n / kMaxPointsPerPartition);
  std::vector<size_t> keep;
  for (size_t i = 0; i < n; ++i) {
    const bool near_switch = switch_at < n && i + kKeptAroundSwitch >= switch_at && i <= switch_at + kKeptAroundSwitch;
    if (near_switch || i % stride == 0 || i + 1 == n) keep.push_back(i);
  }
  return keep;
}

// One row per partition: the sequence numbers the group read on the primary (upper band) and on
// the standby (lower band). Overlapping bands are records read twice; a red cross is a lost record.
std::string continuity_script(const DrillReport& r) {
  const size_t rows = std::max<size_t>(r.partition_results.size(), 1);
  std::string s = preamble(std::min<int>(120 + 46 * static_cast<int>(rows), 1600));
  s += "set xlabel 'canary sequence number'\nset xrange [0:*]\nunset grid\nset grid xtics lc rgb '#e0e0e0'\n";
  s += fmt::format("set yrange [{}:-0.6]\n", static_cast<double>(rows) - 0.4);
  std::string tics, data = "$reads << EOD\n", lost = "$lost << EOD\nNaN NaN\n";
  for (size_t row = 0; row < r.partition_results.size(); ++row) {
    const auto& p = r.partition_results[row];
    if (!tics.empty()) tics += ", ";
    tics += fmt::format("'partition {}' {}", p.partition, row);
    for (size_t i : thinned(p.consumed)) {
      const auto& c = p.consumed[i];
      data += fmt::format("{} {:.2f} {}\n", c.seq, static_cast<double>(row) + (c.on_standby ? 0.18 : -0.18), c.on_standby ? 1 : 0);
    }
    for (const auto& l : p.lost) lost += fmt::format("{} {}\n", l.seq, row);
  }
  data += "NaN NaN 0\nNaN NaN 1\nEOD\n";
  lost += "EOD\n";
  s += (tics.empty() ? std::string("unset ytics\n") : "set ytics (" + tics + ")\n") + data + lost;
  s += "plot $reads using 1:($3 == 0 ? $2 : NaN) with points pt 5 ps 0.35 lc rgb '#1565c0' title 'read on the primary', "
       "$reads using 1:($3 == 1 ? $2 : NaN) with points pt 5 ps 0.35 lc rgb '#ef6c00' title 'read on the standby', "
       "$lost using 1:2 with points pt 2 ps 1.6 lw 2 lc rgb '#c62828' title " + quoted(r.lost > 0 ? "lost" : "lost (none)") + "\n";
  return s;
}

// gnuplot's SVG starts with an XML declaration and a DOCTYPE; the page wants the <svg> element only.
std::string svg_element(const std::string& out) {
  auto start = out.find("<svg");
  auto end = out.rfind("</svg>");
  if (start == std::string::npos || end == std::string::npos || end < start) return {};
  return out.substr(start, end + 6 - start);
}

}  // namespace

std::vector<std::string> chart_scripts(const DrillReport& report) {
  return {timeline_script(report), lag_script(report), continuity_script(report)};
}

std::vector<Chart> draw_charts(const DrillReport& report, const std::string& gnuplot) {
  std::vector<Chart> charts = {
      {"Timeline of the steps",
       "Each bar is one step of the drill, from start to end; red bars failed. The dashed line is the disaster.", {}, {}},
      {"Mirror lag and canary throughput",
       "Canary records on the primary that the drill's mirror had not yet copied (left axis), and records produced and "
       "consumed per second (right axis). After the disaster the lag only grows: nothing copies any more.", {}, {}},
      {"Sequence continuity per partition",
       "One row per partition: the canary sequence numbers the group read on the primary (upper band) and, after the "
       "failover, on the standby (lower band). Where the bands overlap, records were read twice; a gap in both bands, "
       "or a red cross, is a record lost.", {}, {}}};
  const auto scripts = chart_scripts(report);
  const bool consumed = std::any_of(report.partition_results.begin(), report.partition_results.end(),
                                    [](const PartitionResult& p) { return !p.consumed.empty(); });
  const bool have_data[] = {!report.steps.empty(), report.samples.size() > 1, consumed};
  // A game day has no canary: its only chart is the timeline (the Groups table compares offsets).
  if (report.scope == "groups") charts.resize(1);
  for (size_t i = 0; i < charts.size(); ++i) {
    if (!have_data[i]) {
      charts[i].error = "no data (the drill stopped before this was measured)";
      continue;
    }
    try {
      auto result = process::run_and_capture({gnuplot}, scripts[i], std::chrono::seconds(20));
      if (result.timed_out) {
        charts[i].error = fmt::format("{} did not finish within 20 s", gnuplot);
      } else if (result.exit_code != 0) {
        charts[i].error = fmt::format("{} exited with code {}: {}", gnuplot, result.exit_code, result.err);
      } else if (auto svg = svg_element(result.out); svg.empty()) {
        charts[i].error = fmt::format("{} wrote no SVG", gnuplot);
      } else {
        charts[i].svg = std::move(svg);
      }
    } catch (const Error& e) {
      charts[i].error = e.what();
    }
  }
  return charts;
}

}  // namespace dr::drill::detail
