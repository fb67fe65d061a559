// Writes the three report files, each whole (a reader never sees half a report).
#include <filesystem>
#include <system_error>

#include "dr/drill/report.hpp"
#include "dr/error.hpp"
#include "dr/resync/saved_records.hpp"

namespace dr::drill {

void write_report_files(const DrillReport& report, const std::string& dir, const std::string& gnuplot) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(ErrorKind::io, "cannot create the report directory " + dir + ": " + ec.message());
  const std::filesystem::path base(dir);
  resync::write_file_whole((base / "report.json").string(), to_json(report) + "\n");
  resync::write_file_whole((base / "report.md").string(), to_markdown(report));
  resync::write_file_whole((base / "report.html").string(), to_html(report, gnuplot));
}

}  // namespace dr::drill
