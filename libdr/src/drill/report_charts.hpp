// The report's three charts, drawn by gnuplot as SVG: a timeline of the steps; the canary mirror's
// lag and the canary throughput over the drill; sequence continuity per partition across the
// failover. gnuplot (Debian package gnuplot-nox) is run once per chart with a bounded wait.
#pragma once

#include <string>
#include <vector>

#include "dr/drill/report.hpp"

namespace dr::drill::detail {

struct Chart {
  std::string title;
  std::string caption;  // what the chart shows and how to read it
  std::string svg;      // the SVG document ("" when it could not be drawn)
  std::string error;    // why not (gnuplot missing, failed, timed out, no data)
};

// The gnuplot scripts (data inlined as datablocks), in chart order: exposed for the unit tests.
std::vector<std::string> chart_scripts(const DrillReport& report);

// Runs `gnuplot` for each chart; never throws for a chart that cannot be drawn (error says why).
std::vector<Chart> draw_charts(const DrillReport& report, const std::string& gnuplot);

}  // namespace dr::drill::detail
