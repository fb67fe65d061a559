// Times operators type: ISO-8601 with a zone, epoch milliseconds, or relative to now.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dr::translate {

// Parses "2026-11-21T04:03:00Z", "2026-11-21T12:03:00+08:00", "2026-11-21T04:03:00.250Z",
// "1795259689964" (epoch ms: exactly 13 digits) or "-5m" / "-90s" / "-2h" / "-1d" (relative to now_ms).
// Strict: throws dr::Error(bad_input) naming `flag` and saying what was probably meant for a time
// without a zone, a date that does not exist (2025-02-31), a zone outside -12:00..+14:00, a number
// that looks like epoch seconds (10 digits), microseconds or nanoseconds, a time before 2001-09-09,
// anything malformed, and a time in the future (more than 1 s after now_ms).
int64_t parse_time(std::string_view text, int64_t now_ms, const std::string& flag = "--at");

// A duration operators type: a whole number with a unit, "500ms", "30s", "2m", "1h" (and "0s").
// Strict: a number without a unit, another unit, a sign, spaces, or more than `max_ms` is
// dr::Error(bad_input) naming `flag`.
int64_t parse_duration_ms(std::string_view text, const std::string& flag, int64_t max_ms = 7LL * 24 * 3600 * 1000);

// "2026-11-21T04:03:00.250Z"
std::string format_time(int64_t epoch_ms);

}  // namespace dr::translate
