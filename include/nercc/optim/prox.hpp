// Proximal operators of the regularisers the optimisers support: L1, elastic net, nuclear
// norm, box. A prox object h provides
//   void prox(const Eigen::Ref<const Vector<double>>& v, double eta, Eigen::Ref<Vector<double>> out) const
//     out = argmin_u h(u) + ||u - v||^2 / (2 eta)   (out may alias v)
//   double value(const Eigen::Ref<const Vector<double>>& x) const   = h(x)
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/types.hpp>

#include <Eigen/SVD>

#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

NERCC_NAMESPACE_BEGIN
namespace optim {

namespace detail {
/// out_i = sign(v_i) max(|v_i| - t, 0): the prox of t ||.||_1.
inline void soft_threshold(const Eigen::Ref<const Vector<double>>& v, double t, Eigen::Ref<Vector<double>> out) {
  out = v.array().sign() * (v.array().abs() - t).max(0.0);
}

inline void check_weight(const char* field, double value) {
  if (!(value >= 0.0) || !std::isfinite(value))
    throw invalid_argument(nercc::detail::message(field, " (", value, ") must be finite and >= 0"));
}

template <class P, class = void>
struct is_prox : std::false_type {};
template <class P>
struct is_prox<P, std::void_t<decltype(std::declval<const P&>().prox(std::declval<const Vector<double>&>(), 1.0,
                                                                   std::declval<Vector<double>&>())),
                              decltype(double(std::declval<const P&>().value(std::declval<const Vector<double>&>())))>>
    : std::true_type {};
}  // namespace detail

/// Checks at compile time that P is a proximal operator (see the top of nercc/optim/prox.hpp).
template <class P>
constexpr void check_prox() {
  static_assert(detail::is_prox<P>::value,
                "nercc::optim: the regulariser needs `void prox(const Eigen::Ref<const Vector<double>>& v, double eta, "
                "Eigen::Ref<Vector<double>> out) const` and `double value(const Eigen::Ref<const Vector<double>>&) const`");
}

/// h(x) = lambda ||x||_1; prox is soft thresholding at eta*lambda. Immutable, thread-safe.
struct L1Prox {
  double lambda = 0.0;

  explicit L1Prox(double lambda_) : lambda(lambda_) { detail::check_weight("lambda", lambda); }
  void prox(const Eigen::Ref<const Vector<double>>& v, double eta, Eigen::Ref<Vector<double>> out) const {
    detail::soft_threshold(v, eta * lambda, out);
  }
  double value(const Eigen::Ref<const Vector<double>>& x) const { return lambda * x.lpNorm<1>(); }
};

/// h(x) = l1 ||x||_1 + (l2 / 2) ||x||^2; prox = soft(v, eta*l1) / (1 + eta*l2).
/// Immutable, thread-safe.
struct ElasticNetProx {
  double l1 = 0.0;
  double l2 = 0.0;

  ElasticNetProx(double l1_, double l2_) : l1(l1_), l2(l2_) {
    detail::check_weight("l1", l1);
    detail::check_weight("l2", l2);
  }
  void prox(const Eigen::Ref<const Vector<double>>& v, double eta, Eigen::Ref<Vector<double>> out) const {
    detail::soft_threshold(v, eta * l1, out);
    out /= 1.0 + eta * l2;
  }
  double value(const Eigen::Ref<const Vector<double>>& x) const {
    return l1 * x.lpNorm<1>() + 0.5 * l2 * x.squaredNorm();
  }
};

/// h(X) = lambda ||X||_* (sum of singular values) for x = vec(X), X rows x cols stored
/// row-major. prox = U diag(max(sigma - eta*lambda, 0)) V^T (singular value thresholding),
/// an O(rows cols min(rows, cols)) SVD: the expensive prox DAP-SVRG keeps off the server.
/// Immutable, thread-safe.
struct NuclearNormProx {
  Index rows = 0;
  Index cols = 0;
  double lambda = 0.0;

  NuclearNormProx(Index rows_, Index cols_, double lambda_) : rows(rows_), cols(cols_), lambda(lambda_) {
    using nercc::detail::message;
    if (rows < 1) throw invalid_argument(message("rows (", rows, ") must be >= 1"));
    if (cols < 1) throw invalid_argument(message("cols (", cols, ") must be >= 1"));
    detail::check_weight("lambda", lambda);
  }
  void prox(const Eigen::Ref<const Vector<double>>& v, double eta, Eigen::Ref<Vector<double>> out) const {
    check_size(v.size());
    const Eigen::Map<const RowMatrix<double>> m(v.data(), rows, cols);
    Eigen::BDCSVD<Eigen::MatrixXd> svd(m, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const Vector<double> s = (svd.singularValues().array() - eta * lambda).max(0.0).matrix();
    Eigen::Map<RowMatrix<double>>(out.data(), rows, cols) = svd.matrixU() * s.asDiagonal() * svd.matrixV().transpose();
  }
  double value(const Eigen::Ref<const Vector<double>>& x) const {
    check_size(x.size());
    const Eigen::Map<const RowMatrix<double>> m(x.data(), rows, cols);
    return lambda * Eigen::BDCSVD<Eigen::MatrixXd>(m).singularValues().sum();
  }

 private:
  void check_size(Index n) const {
    if (n != rows * cols)
      throw shape_mismatch(nercc::detail::message("NuclearNormProx: vector of size ", n, " is not rows*cols = ",
                                                  rows, "*", cols));
  }
};

/// h = indicator of the box [lower, upper]^d (0 inside, +infinity outside); prox is the
/// projection (clamping), independent of eta. Immutable, thread-safe.
struct BoxProx {
  double lower = -std::numeric_limits<double>::infinity();
  double upper = std::numeric_limits<double>::infinity();

  BoxProx(double lower_, double upper_) : lower(lower_), upper(upper_) {
    if (std::isnan(lower) || std::isnan(upper) || !(lower <= upper))
      throw invalid_argument(nercc::detail::message("lower (", lower, ") must be <= upper (", upper, ")"));
  }
  void prox(const Eigen::Ref<const Vector<double>>& v, double /*eta*/, Eigen::Ref<Vector<double>> out) const {
    out = v.cwiseMax(lower).cwiseMin(upper);
  }
  double value(const Eigen::Ref<const Vector<double>>& x) const {
    const bool inside = x.size() == 0 || (x.minCoeff() >= lower && x.maxCoeff() <= upper);
    return inside ? 0.0 : std::numeric_limits<double>::infinity();
  }
};

}  // namespace optim
NERCC_NAMESPACE_END
