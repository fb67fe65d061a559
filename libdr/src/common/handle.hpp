// Owning smart pointers for C library handles (private to libdr).
// Usage: Handle<rd_kafka_conf_t, rd_kafka_conf_destroy> conf{rd_kafka_conf_new()};
// Wrap on the line that allocates; release() only when ownership passes to the C library.
#pragma once

#include <memory>

namespace dr {

template <typename T, auto Destroy>
struct HandleDeleter {
  void operator()(T* p) const noexcept {
    if (p != nullptr) Destroy(p);
  }
};

template <typename T, auto Destroy>
using Handle = std::unique_ptr<T, HandleDeleter<T, Destroy>>;

}  // namespace dr
