// Wall-clock time in milliseconds since the epoch, as Kafka and the state file count it.
#pragma once

#include <cstdint>

namespace dr {

int64_t now_ms();

}  // namespace dr
