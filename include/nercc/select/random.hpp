// Seeded draws the selector needs beyond <nercc/tune/sampling.hpp>. Standard library only.
#pragma once

#include <nercc/config.hpp>
#include <nercc/tune/sampling.hpp>

#include <cmath>
#include <random>

NERCC_NAMESPACE_BEGIN
namespace select {

/// A standard normal draw by Box-Muller from two uniform_unit draws (no std distribution, so a
/// seed gives the same draws with every standard library).
inline double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform_unit(rng), u2 = uniform_unit(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace select
NERCC_NAMESPACE_END
