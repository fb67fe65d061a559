// The drill report's writers without a cluster: JSON round trip, Markdown and HTML contents (escaped,
// complete without gnuplot), the charts drawn by the real gnuplot, and the files written whole.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dr/base64.hpp"
#include "dr/drill/analysis.hpp"
#include "dr/drill/report.hpp"
#include "dr/error.hpp"
#include "drill/report_charts.hpp"

using namespace dr::drill;

namespace {

constexpr int64_t kStart = 1'800'000'000'000;

DrillReport sample_report(int64_t reads_per_partition = 200) {
  DrillReport r;
  r.id = 7;
  r.started_ms = kStart;
  r.finished_ms = kStart + 42'000;
  r.os_user = "ops";
  r.host = "dr-host-1";
  r.kafka_dr_version = "0.11.0";
  r.command = "dr-drill run -X primary.sasl.password=******** --local";
  r.clusters = {{"primary", "PRIMARY-ID-123", "p1:9092", "4.3"}, {"standby", "STANDBY-ID-456", "s1:9092", "4.3"}};
  r.objectives = {30000, 300000};
  r.canary_topic = "kafka-dr.drill.canary";
  r.canary_group = "kafka-dr.drill.canary-group";
  r.partitions = 2;
  r.rate_per_s = 100;
  r.disaster_ms = kStart + 20'000;
  r.rpo_records = 12;
  r.rpo_ms = 118;
  r.rto_plan_ms = 900;
  r.rto_commit_ms = 1400;
  r.rto_first_record_ms = r.rto_ms = 2100;
  r.duplicates = 30;
  r.expected_duplicates = 30;
  r.steps = {{"setup", "set up the canary", kStart, kStart + 3000, true, "created 2 partitions"},
             {"warmup", "warm up", kStart + 3000, kStart + 20'000, true, "checkpoints written"},
             {"disaster", "disaster: kill -9 the mirror", kStart + 20'000, kStart + 20'001, true, "a|b <script>x</script>"},
             {"plan", "failover plan ready", kStart + 20'001, kStart + 20'900, true, ""}};
  for (int i = 0; i <= 80; ++i) {
    r.samples.push_back({kStart + i * 500, i * 50, i * 48, i > 41 ? (i - 41) * 45 : 0, i < 40 ? 5 + i % 3 : -1});
  }
  for (int32_t p = 0; p < 2; ++p) {
    PartitionResult pr;
    pr.partition = p;
    pr.produced_before_disaster = 1000;
    pr.unreplicated = 6;
    pr.oldest_unreplicated_ms = p == 0 ? std::optional<int64_t>(kStart + 19'900) : std::nullopt;
    pr.checkpoint_offset = 985;
    pr.chosen_offset = 980;
    pr.basis = "checkpoint";
    pr.precision = "exact";
    pr.plan_duplicates = 5;
    pr.checkpoint_age_duplicates = 10;
    pr.consumed_primary = reads_per_partition;
    pr.consumed_standby = 50;
    pr.duplicates = 15;
    for (int64_t s = 0; s < reads_per_partition; ++s) pr.consumed.push_back({kStart + 1000 + s * 10, s, false});
    for (int64_t s = reads_per_partition - 15; s < reads_per_partition + 35; ++s)
      pr.consumed.push_back({r.disaster_ms + 2000 + s, s, true});
    r.partition_results.push_back(std::move(pr));
  }
  r.production = {{"dc1->dc2", "active", 24, kStart - 500, 17, ""}};
  r.passed = true;
  r.notes = {"deleted topic kafka-dr.drill.canary on both clusters"};
  r.report_dir = "/var/lib/kafka-dr/drills/7";
  return r;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool gnuplot_installed() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

// The SVGs embedded in a page, decoded.
std::vector<std::string> embedded_svgs(const std::string& html) {
  std::vector<std::string> out;
  const std::string marker = "data:image/svg+xml;base64,";
  for (auto pos = html.find(marker); pos != std::string::npos; pos = html.find(marker, pos + 1)) {
    const auto start = pos + marker.size();
    auto decoded = dr::unbase64(html.substr(start, html.find('"', start) - start));
    REQUIRE(decoded.has_value());
    out.push_back(*decoded);
  }
  return out;
}

}  // namespace

TEST_CASE("drill report: JSON keeps every field and reads back the same") {
  const auto r = sample_report();
  const auto json = to_json(r);
  for (const char* key : {"\"rpo_records\": 12", "\"rpo_ms\": 118", "\"rto_ms\": 2100", "\"lost\": 0",
                          "\"duplicates\": 30", "\"expected_duplicates\": 30", "\"verdict\": \"passed\"",
                          "\"oldest_unreplicated_ms\": null", "\"cluster_id\": \"STANDBY-ID-456\""}) {
    CAPTURE(key);
    CHECK(json.find(key) != std::string::npos);
  }
  const auto back = report_from_json(json);
  CHECK(to_json(back) == json);
  CHECK(back.partition_results.at(0).oldest_unreplicated_ms == kStart + 19'900);
  CHECK_FALSE(back.partition_results.at(1).oldest_unreplicated_ms.has_value());
  CHECK(back.partition_results.at(1).consumed.size() == r.partition_results.at(1).consumed.size());

  auto failed = r;
  failed.passed = false;
  CHECK(to_json(failed).find("\"verdict\": \"failed\"") != std::string::npos);
}

TEST_CASE("drill report: JSON that is not a report is refused as bad input") {
  for (const char* text : {"", "{", "[1,2]", "{\"rpo_ms\": \"soon\"}"}) {
    CAPTURE(text);
    try {
      report_from_json(text);
      FAIL("accepted");
    } catch (const dr::Error& e) {
      CHECK(e.kind() == dr::ErrorKind::bad_input);
    }
  }
}

TEST_CASE("drill report: Markdown has the header, the results and escaped table cells") {
  auto r = sample_report();
  auto md = to_markdown(r);
  CHECK(md.rfind("# Failover drill #7: PASSED\n", 0) == 0);
  for (const char* text : {"| Who | ops@dr-host-1 |", "PRIMARY-ID-123 at p1:9092, Kafka 4.3", "STANDBY-ID-456",
                           "| kafka-dr | 0.11.0 |", "| Command | dr-drill run -X primary.sasl.password=******** --local |", "RPO 30.0 s or better, RTO 5 min or better",
                           "| RTO (disaster to first record consumed on the standby) | 2.1 s |",
                           "| Lost records | 0 | 0 | met |", "a\\|b <script>", "| dc1->dc2 | active | 24 |"}) {
    CAPTURE(text);
    CHECK(md.find(text) != std::string::npos);
  }
  CHECK(md.find("## Lost records") == std::string::npos);
  CHECK(md.find("## Why the drill failed") == std::string::npos);

  r.passed = false;
  r.lost = 1;
  r.partition_results[1].lost.push_back({1234, 567});
  r.reasons = {"1 record lost: partition 1, standby offset 1234"};
  md = to_markdown(r);
  CHECK(md.rfind("# Failover drill #7: FAILED\n", 0) == 0);
  CHECK(md.find("## Why the drill failed\n\n- 1 record lost: partition 1, standby offset 1234\n") != std::string::npos);
  CHECK(md.find("| 1 | 1234 | 567 |") != std::string::npos);
  CHECK(md.find("| Lost records | 1 | 0 | MISSED |") != std::string::npos);
}

TEST_CASE("drill report: the HTML page is complete and escaped when gnuplot cannot be run") {
  const auto html = to_html(sample_report(), "/nonexistent/gnuplot");
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("</html>") != std::string::npos);
  CHECK(html.find("<title>Failover drill #7: PASSED</title>") != std::string::npos);
  CHECK(html.find("a|b &lt;script&gt;x&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);  // nothing fetched from the network
  CHECK(html.find("https://") == std::string::npos);
  // All three chart places say why there is no chart; every table is still there.
  size_t missing = 0;
  for (auto pos = html.find("Chart not drawn: "); pos != std::string::npos; pos = html.find("Chart not drawn: ", pos + 1)) ++missing;
  CHECK(missing == 3);
  CHECK(html.find("/nonexistent/gnuplot") != std::string::npos);
  CHECK(html.find("<h2>Partitions</h2>") != std::string::npos);
  CHECK(html.find("<h2>Production mirrors (read only)</h2>") != std::string::npos);
}

TEST_CASE("drill report: gnuplot draws the three charts into the page") {
  REQUIRE_MESSAGE(gnuplot_installed(), "gnuplot is not installed: run scripts/setup (package gnuplot-nox)");
  const auto html = to_html(sample_report(), "gnuplot");
  const auto not_drawn = html.find("Chart not drawn");
  CHECK_MESSAGE(not_drawn == std::string::npos, html.substr(not_drawn == std::string::npos ? 0 : not_drawn, 300));
  const auto svgs = embedded_svgs(html);
  REQUIRE(svgs.size() == 3);
  for (const auto& svg : svgs) CHECK(svg.rfind("<svg", 0) == 0);
  // The timeline names the steps; the continuity chart names the partitions and both clusters.
  CHECK(svgs[0].find("failover plan ready") != std::string::npos);
  CHECK(svgs[0].find("disaster (mirror killed)") != std::string::npos);
  CHECK(svgs[1].find("mirror lag (records, left)") != std::string::npos);
  CHECK(svgs[2].find("partition 1") != std::string::npos);
  CHECK(svgs[2].find("read on the standby") != std::string::npos);
}

TEST_CASE("drill report: a long drill's continuity chart is thinned but keeps the switch to the standby") {
  const auto scripts = dr::drill::detail::chart_scripts(sample_report(100'000));
  REQUIRE(scripts.size() == 3);
  const auto& s = scripts[2];
  size_t lines = 0;
  for (char c : s) lines += c == '\n';
  CHECK(lines < 2 * (1500 + 250 + 50) + 60);  // two partitions, each thinned
  // Every record read around the switch to the standby is drawn, on the standby's band (row + 0.18).
  CHECK(s.find("\n99985 0.18 1\n") != std::string::npos);
  CHECK(s.find("\n100034 1.18 1\n") != std::string::npos);
}

TEST_CASE("drill report: write_report_files writes the three files whole and names a directory it cannot create") {
  char tmpl[] = "/tmp/dr-report-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  const std::filesystem::path dir = std::filesystem::path(tmpl) / "drills" / "7";
  const auto r = sample_report();
  write_report_files(r, dir.string(), "/nonexistent/gnuplot");
  CHECK(to_json(report_from_json(slurp(dir / "report.json"))) == to_json(r));
  CHECK(slurp(dir / "report.md") == to_markdown(r));
  CHECK(slurp(dir / "report.html").find("</html>") != std::string::npos);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  CHECK(entries == 3);  // no temporary file left behind

  {
    std::ofstream blocker(std::filesystem::path(tmpl) / "file");
  }
  try {
    write_report_files(r, (std::filesystem::path(tmpl) / "file" / "sub").string(), "/nonexistent/gnuplot");
    FAIL("wrote under a regular file");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::io);
    CHECK(std::string(e.what()).find("/file/sub") != std::string::npos);
  }
  std::filesystem::remove_all(tmpl);
}

namespace {

// A game day (scope groups, planned) where the standby's offset for one partition lies 3 past the
// exact translation: 3 records the group would skip.
DrillReport game_day_report() {
  DrillReport r;
  r.id = 9;
  r.scope = "groups";
  r.mode = "planned";
  r.link = "dc1->dc2";
  r.groups = "^billing-";
  r.started_ms = kStart;
  r.disaster_ms = kStart + 100;
  r.finished_ms = kStart + 9'000;
  r.clusters = {{"primary", "PRIMARY-ID-123", "p1:9092", ""}, {"standby", "STANDBY-ID-456", "s1:9092", ""}};
  r.steps = {{"disaster", "switchover started", kStart + 100, kStart + 100, true, ""},
             {"plan", "failover plan ready", kStart + 100, kStart + 4'000, true, ""},
             {"commit", "offsets committed on the standby", kStart + 4'000, kStart + 8'000, true, ""}};
  r.rto_plan_ms = 3'900;
  r.rto_commit_ms = r.rto_ms = 7'900;
  for (int32_t p = 0; p < 2; ++p) {
    PartitionResult pr;
    pr.group = "billing-eu";
    pr.topic = "invoices";
    pr.partition = p;
    pr.checkpoint_offset = pr.source_committed = 500;
    pr.chosen_offset = 480;
    pr.exact_offset = 480;
    pr.standby_committed = p == 1 ? 483 : 480;
    pr.basis = "current";
    pr.precision = "exact";
    if (p == 1) pr.lost = {{480, -1}, {481, -1}, {482, -1}};
    r.partition_results.push_back(pr);
  }
  r.lost = 3;
  return r;
}

}  // namespace

TEST_CASE("drill report: a game day's verdict, tables and text name the groups, and lost records fail it") {
  auto r = game_day_report();
  decide_verdict(r);
  CHECK_FALSE(r.passed);
  REQUIRE(r.reasons.size() == 1);
  CHECK(r.reasons[0] ==
        "3 record(s) on the standby would be skipped by the groups (committed past the exact translation): group billing-eu "
        "invoices partition 1 offset 480, group billing-eu invoices partition 1 offset 481, group billing-eu invoices "
        "partition 1 offset 482");
  const auto md = to_markdown(r);
  CHECK(md.rfind("# Game day #9: FAILED", 0) == 0);
  CHECK(md.find("| Game day | planned failover of groups ^billing- over link dc1->dc2 |") != std::string::npos);
  CHECK(md.find("| billing-eu | invoices | 1 | 500 | current, exact | 480 | 500 | 480 | 483 | 0 (0) | 3 |") != std::string::npos);
  CHECK(md.find("## Lost records") != std::string::npos);
  CHECK(md.find("| billing-eu | invoices | 1 | 482 |") != std::string::npos);
  CHECK(md.find("first record consumed") == std::string::npos);  // a game day stops at offsets committed
  CHECK(md.find("RTO (disaster to offsets committed on the standby) | 7.9 s") != std::string::npos);
  const auto text = to_text(r);
  CHECK(text.rfind("drill #9 (game day, planned): FAILED", 0) == 0);
  CHECK(text.find("offsets committed +7.9 s (the groups' consumers are yours to start on the standby)") != std::string::npos);
  // Its page has the timeline only (no canary: no lag or continuity chart).
  const auto html = to_html(r, "/nonexistent/gnuplot");
  size_t charts = 0;
  for (auto pos = html.find("Chart not drawn: "); pos != std::string::npos; pos = html.find("Chart not drawn: ", pos + 1)) ++charts;
  CHECK(charts == 1);
  CHECK(report_from_json(to_json(r)).partition_results.at(1).standby_committed == 483);
}

TEST_CASE("drill report: a game day's dry run says nothing changed and shows the plan") {
  auto r = game_day_report();
  r.dry_run = true;
  r.id = 0;
  r.lost = 0;
  r.passed = true;
  r.notes = {"dry run: nothing was changed. To run the game day: add --execute --confirm STANDBY-ID-456"};
  const auto text = to_text(r);
  CHECK(text.rfind("game day plan (planned, groups ^billing-, link dc1->dc2): DRY RUN, nothing changed", 0) == 0);
  CHECK(text.find("billing-eu") != std::string::npos);
  CHECK(text.find("--confirm STANDBY-ID-456") != std::string::npos);
  const auto md = to_markdown(r);
  CHECK(md.rfind("# Game day plan (dry run): nothing changed", 0) == 0);
  CHECK(md.find("## Results") == std::string::npos);
  CHECK(md.find("Committed on primary") == std::string::npos);
}
