// What the Markdown and the HTML report both show, as plain tables: each writer only renders them, so
// the two can never disagree on a number.
#pragma once

#include <string>
#include <vector>

#include "dr/drill/report.hpp"

namespace dr::drill::detail {

struct Table {
  std::string heading;                      // section title
  std::string intro;                        // one sentence under the title ("" for none)
  std::vector<std::string> columns;         // empty: a two-column key/value table without a header
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> bullets;         // a list instead of (or after) the rows
};

// "Failover drill #12: PASSED" (or FAILED).
std::string report_title(const DrillReport& report);
// The header table: when, who, clusters and their ids, versions, objectives, verdict.
Table header_table(const DrillReport& report);
// The sections after the header, in order; empty ones are left out.
std::vector<Table> body_tables(const DrillReport& report);

}  // namespace dr::drill::detail
