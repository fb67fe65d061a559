// Standard base64 (RFC 4648, with padding).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dr {

std::string base64(std::string_view bytes);
// nullopt when `text` is not valid padded base64.
std::optional<std::string> unbase64(std::string_view text);

}  // namespace dr
