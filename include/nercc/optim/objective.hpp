// The finite-sum objective concept: f(x) = (1/n) sum_i f_i(x), each f_i smooth. An objective
// provides
//   Index num_terms() const                                              n
//   Index dim() const                                                    d = size of x
//   void gradient(const Eigen::Ref<const Vector<double>>& x, const std::vector<Index>& batch,
//                 Eigen::Ref<Vector<double>> out) const    out = (1/|I|) sum_{i in I} grad f_i(x)
//   void full_gradient(const Eigen::Ref<const Vector<double>>& x, Eigen::Ref<Vector<double>> out) const
//                                                                        out = grad f(x)
// and optionally
//   double value(const Eigen::Ref<const Vector<double>>& x) const        f(x), for progress reports.
// The asynchronous executors call the const members from several threads at once: they must
// be safe to call concurrently (no mutable scratch shared between calls).
#pragma once

#include <nercc/config.hpp>
#include <nercc/types.hpp>

#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace optim {

namespace detail {
template <class O, class = void>
struct is_objective : std::false_type {};
template <class O>
struct is_objective<
    O, std::void_t<decltype(Index(std::declval<const O&>().num_terms())), decltype(Index(std::declval<const O&>().dim())),
                   decltype(std::declval<const O&>().gradient(std::declval<const Vector<double>&>(),
                                                              std::declval<const std::vector<Index>&>(),
                                                              std::declval<Vector<double>&>())),
                   decltype(std::declval<const O&>().full_gradient(std::declval<const Vector<double>&>(),
                                                                   std::declval<Vector<double>&>()))>>
    : std::true_type {};

template <class O, class = void>
struct has_value : std::false_type {};
template <class O>
struct has_value<O, std::void_t<decltype(double(std::declval<const O&>().value(std::declval<const Vector<double>&>())))>>
    : std::true_type {};
}  // namespace detail

/// Checks at compile time that O is a finite-sum objective (see the top of nercc/optim/objective.hpp).
template <class O>
constexpr void check_objective() {
  static_assert(detail::is_objective<O>::value,
                "nercc::optim: the objective needs `Index num_terms() const`, `Index dim() const`, "
                "`void gradient(const Eigen::Ref<const Vector<double>>& x, const std::vector<Index>& batch, "
                "Eigen::Ref<Vector<double>> out) const` and `void full_gradient(const Eigen::Ref<const "
                "Vector<double>>& x, Eigen::Ref<Vector<double>> out) const`");
}

/// f(x) when the objective has value(x), else NaN.
template <class O>
double objective_value(const O& objective, const Vector<double>& x) {
  if constexpr (detail::has_value<O>::value) {
    return objective.value(x);
  } else {
    return std::numeric_limits<double>::quiet_NaN();
  }
}

}  // namespace optim
NERCC_NAMESPACE_END
