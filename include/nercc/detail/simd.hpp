// Run-time choice of the instruction set for nercc's hot kernels. Builds stay portable (no -march):
// kernels compiled for a wider ISA are called only when the running CPU has it.
#pragma once

#include <nercc/config.hpp>

#include <cstdlib>
#include <cstring>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define NERCC_SIMD_DISPATCH 1
#define NERCC_TARGET_AVX2 __attribute__((target("avx2,fma")))
#include <immintrin.h>
#else
#define NERCC_SIMD_DISPATCH 0
#endif

NERCC_NAMESPACE_BEGIN
namespace detail {

/// portable: Eigen's packets for the compile-time target (SSE2 on a baseline x86-64 build).
/// avx2: AVX2 with fused multiply-add, selected at run time.
enum class Simd { portable, avx2 };

inline const char* simd_name(Simd s) { return s == Simd::avx2 ? "avx2" : "portable"; }

/// The widest kernel ISA this CPU runs, ignoring NERCC_DISABLE_SIMD_DISPATCH. Detected once.
inline Simd cpu_simd() {
#if NERCC_SIMD_DISPATCH
  static const Simd s = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? Simd::avx2 : Simd::portable;
  }();
  return s;
#else
  return Simd::portable;
#endif
}

/// The ISA the kernels use: cpu_simd(), or portable when the environment variable
/// NERCC_DISABLE_SIMD_DISPATCH is set to anything but "" or "0" (read once, at the first call).
inline Simd simd_level() {
  static const Simd s = [] {
    const char* off = std::getenv("NERCC_DISABLE_SIMD_DISPATCH");
    return off != nullptr && *off != '\0' && std::strcmp(off, "0") != 0 ? Simd::portable : cpu_simd();
  }();
  return s;
}

}  // namespace detail
NERCC_NAMESPACE_END
