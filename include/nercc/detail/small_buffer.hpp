// Scratch storage on the stack for small sizes, so hot paths do not allocate.
#pragma once

#include <nercc/config.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace detail {

/// n elements initialised to `fill`; inline up to Inline elements, on the heap beyond.
template <class T, std::size_t Inline = 256>
class SmallBuffer {
 public:
  SmallBuffer(std::size_t n, T fill) : size_(n) {
    if (n > Inline) heap_.assign(n, fill);
    else std::fill_n(inline_.begin(), n, fill);
  }
  SmallBuffer(const SmallBuffer&) = delete;
  SmallBuffer& operator=(const SmallBuffer&) = delete;

  T* data() { return size_ > Inline ? heap_.data() : inline_.data(); }
  const T* data() const { return size_ > Inline ? heap_.data() : inline_.data(); }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  std::size_t size() const { return size_; }

 private:
  std::size_t size_;
  std::array<T, Inline> inline_;
  std::vector<T> heap_;
};

}  // namespace detail
NERCC_NAMESPACE_END
