// Strong types for values that are easy to mix up in DR code.
//
// A source offset and a target offset are both int64 on the wire; passing one where the other is
// expected is the classic DR bug, so they are distinct types here and a swap does not compile.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace dr {

template <typename T, typename Tag>
class NamedValue {
 public:
  using value_type = T;
  constexpr NamedValue() = default;
  constexpr explicit NamedValue(T v) : value_(v) {}
  constexpr T value() const noexcept { return value_; }
  constexpr auto operator<=>(const NamedValue&) const = default;

 private:
  T value_{};
};

using SourceOffset = NamedValue<int64_t, struct SourceOffsetTag>;
using TargetOffset = NamedValue<int64_t, struct TargetOffsetTag>;
using PartitionId = NamedValue<int32_t, struct PartitionIdTag>;
using TimestampMs = NamedValue<int64_t, struct TimestampMsTag>;  // milliseconds since the epoch

}  // namespace dr

template <typename T, typename Tag>
struct std::hash<dr::NamedValue<T, Tag>> {
  size_t operator()(const dr::NamedValue<T, Tag>& v) const noexcept { return std::hash<T>{}(v.value()); }
};
