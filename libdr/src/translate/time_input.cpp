#include "dr/translate/time_input.hpp"

#include <chrono>
#include <algorithm>
#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "dr/error.hpp"

namespace dr::translate {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Digits only (callers check all_digits first and keep to 9 digits), so no overflow.
int64_t to_int(std::string_view s) {
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};

// Epoch milliseconds of the years operators fail over in have 13 digits (2001-09-09 .. 2286-11-20).
constexpr int64_t kMinEpochMs = 1'000'000'000'000;
constexpr int64_t kMaxEpochMs = 9'999'999'999'999;

}  // namespace

int64_t parse_duration_ms(std::string_view text, const std::string& flag, int64_t max_ms) {
  auto bad = [&](const std::string& why) -> int64_t {
    throw_bad_input(fmt::format("'{}': {}. Give a whole number with a unit: 500ms, 30s, 2m, 1h", text, why), {.flag = flag});
  };
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return bad("not a duration");
  if (digits > 12) return bad("too long");
  const std::string_view unit = text.substr(digits);
  const int64_t n = to_int(text.substr(0, digits));
  int64_t ms = 0;
  if (unit == "ms") ms = n;
  else if (unit == "s") ms = n * 1000;
  else if (unit == "m") ms = n * 60'000;
  else if (unit == "h") ms = n * 3'600'000;
  else if (unit.empty()) return bad("a duration needs a unit");
  else return bad(fmt::format("unknown unit '{}'", unit));
  if (ms > max_ms) return bad(fmt::format("more than the longest allowed, {} s", max_ms / 1000));
  return ms;
}

int64_t parse_time(std::string_view text, int64_t now, const std::string& flag) {
  auto bad = [&](const std::string& why) -> int64_t {
    throw_bad_input(fmt::format("'{}': {}. Use ISO-8601 with a zone (2026-11-21T04:03:00Z, 2026-11-21T12:03:00+08:00), "
                                "epoch milliseconds (13 digits), or a relative time (-5m, -2h)",
                                text, why),
                    {.flag = flag});
  };
  int64_t result = 0;
  if (!text.empty() && text[0] == '-') {
    std::string_view num = text.size() >= 2 ? text.substr(1, text.size() - 2) : std::string_view();
    if (text.size() < 3 || !all_digits(num)) return bad("not a relative time");
    if (num.size() > 9) return bad("a relative time this far back is not a failover time");
    const int64_t n = to_int(num);
    switch (text.back()) {
      case 's': result = now - n * 1000; break;
      case 'm': result = now - n * 60'000; break;
      case 'h': result = now - n * 3'600'000; break;
      case 'd': result = now - n * 86'400'000; break;
      default: return bad("a relative time ends in s, m, h or d");
    }
    if (result < kMinEpochMs) return bad(fmt::format("that is {}, before 2001-09-09", format_time(std::max<int64_t>(0, result))));
    return result;
  }
  if (all_digits(text)) {
    // Say what a number of another length probably was, instead of reading it as a time near 1970.
    int64_t n = 0;
    if (auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n); ec != std::errc()) {
      return bad("not a time: too many digits");
    }
    if (text.size() == 10) {
      return bad(fmt::format("{} looks like epoch seconds; epoch milliseconds would be {}000 ({})", text, text,
                             format_time(n * 1000)));
    }
    if (text.size() == 16) {
      return bad(fmt::format("{} looks like epoch microseconds; epoch milliseconds would be {} ({})", text, n / 1000,
                             format_time(n / 1000)));
    }
    if (text.size() >= 17) {
      return bad(fmt::format("{} looks like epoch nanoseconds; epoch milliseconds would be {} ({})", text,
                             n / 1'000'000, format_time(n / 1'000'000)));
    }
    if (n < kMinEpochMs || n > kMaxEpochMs) {
      return bad(fmt::format("{} as epoch milliseconds is {}: epoch milliseconds have 13 digits", text, format_time(n)));
    }
    result = n;
  } else {
    // YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)
    if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
      return bad(fmt::format("a date without a time and zone (for midnight UTC: {}T00:00:00Z)", text));
    }
    if (text.size() < 19 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' ||
        text[16] != ':') {
      return bad("not an ISO-8601 date and time");
    }
    auto field = [&](size_t pos, size_t len) -> int {
      std::string_view f = text.substr(pos, len);
      if (!all_digits(f)) bad("not an ISO-8601 date and time");
      return static_cast<int>(to_int(f));
    };
    const int year = field(0, 4), month = field(5, 2), day = field(8, 2);
    const int hour = field(11, 2), minute = field(14, 2), second = field(17, 2);
    if (month < 1 || month > 12) return bad(fmt::format("month {:02} does not exist (01 to 12)", month));
    if (day < 1 || day > days_in_month(year, month)) {
      return bad(fmt::format("{} {} has {} days: no day {:02}", kMonths[month - 1], year, days_in_month(year, month), day));
    }
    if (hour > 23) return bad(fmt::format("hour {:02} does not exist (00 to 23{})", hour, hour == 24 ? "; 24:00 is 00:00 of the next day" : ""));
    if (minute > 59) return bad(fmt::format("minute {:02} does not exist (00 to 59)", minute));
    if (second > 59) return bad(fmt::format("second {:02} does not exist (00 to 59; Kafka timestamps have no leap seconds)", second));
    size_t pos = 19;
    int millis = 0;
    if (pos < text.size() && text[pos] == '.') {
      size_t start = ++pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      std::string frac(text.substr(start, pos - start));
      if (frac.empty()) return bad("empty fraction of a second");
      frac = (frac + "00").substr(0, 3);
      millis = static_cast<int>(to_int(frac));
    }
    std::string_view zone = text.substr(pos);
    int64_t offset_min = 0;
    if (zone == "Z" || zone == "z") {
      offset_min = 0;
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' && all_digits(zone.substr(1, 2)) &&
               all_digits(zone.substr(4, 2))) {
      const int64_t hours = to_int(zone.substr(1, 2)), minutes = to_int(zone.substr(4, 2));
      // Zones on Earth run from -12:00 to +14:00, in whole quarter hours.
      if (minutes > 59) return bad(fmt::format("zone {}: minute {:02} does not exist", zone, minutes));
      if (hours * 60 + minutes > (zone[0] == '+' ? 14 * 60 : 12 * 60)) {
        return bad(fmt::format("zone {} does not exist (zones run from -12:00 to +14:00){}", zone,
                               hours >= 24 ? "; for an hour of the day, write it before the zone" : ""));
      }
      offset_min = hours * 60 + minutes;
      if (zone[0] == '-') offset_min = -offset_min;
    } else if (zone.size() == 5 && (zone[0] == '+' || zone[0] == '-') && all_digits(zone.substr(1))) {
      return bad(fmt::format("write the zone with a colon: {}{}:{}", zone.substr(0, 1), zone.substr(1, 2), zone.substr(3, 2)));
    } else if (zone.empty()) {
      return bad("a time without a zone is ambiguous (add Z for UTC, or +HH:MM)");
    } else {
      return bad("unknown zone (use Z or +HH:MM)");
    }
    const int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    result = ((days * 24 + hour) * 60 + minute) * 60'000 + static_cast<int64_t>(second) * 1000 + millis - offset_min * 60'000;
    if (result < kMinEpochMs) return bad(fmt::format("{} is before 2001-09-09: not a time Kafka holds records of", format_time(std::max<int64_t>(0, result))));
  }
  if (result > now + 1000) return bad(fmt::format("it is in the future (now is {})", format_time(now)));
  return result;
}

std::string format_time(int64_t epoch_ms) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, epoch_ms % 1000);
}

}  // namespace dr::translate
