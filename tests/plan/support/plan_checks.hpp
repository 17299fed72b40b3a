// Shared checks of the planner tests: error messages and Monte Carlo agreement.
#pragma once

#include <nercc/plan.hpp>

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace plan_checks {

/// f() must throw nercc::invalid_argument whose message contains `field`.
template <class F>
void throws_naming(F&& f, const std::string& field) {
  try {
    f();
    FAIL("expected nercc::invalid_argument naming " << field);
  } catch (const nercc::invalid_argument& e) {
    CAPTURE(e.what());
    CHECK(std::string(e.what()).find(field) != std::string::npos);
  }
}

/// Monte Carlo fractions checked against predicted probabilities with binomial intervals. The
/// checks of one family hold jointly at 99% (Bonferroni): with c checks each uses the two-sided
/// 1 - 0.01 / c normal interval, so a correct model fails a family with probability <= 1%,
/// not ~1% per check as c separate 99% intervals would.
class BinomialFamily {
 public:
  /// The fraction `observed` of m draws estimates the probability `predicted`.
  void add(double observed, double predicted, int m, std::string what) {
    items_.push_back({observed, predicted, m, std::move(what)});
  }
  void check() const {
    REQUIRE(!items_.empty());
    const double z = nercc::plan::detail::normal_quantile(1.0 - 0.005 / double(items_.size()));
    for (const Item& i : items_) {
      const double half_width = z * std::sqrt(i.predicted * (1.0 - i.predicted) / i.m);
      CAPTURE(i.what, i.observed, i.predicted, z);
      CHECK(std::abs(i.observed - i.predicted) <= half_width);
    }
  }

 private:
  struct Item {
    double observed, predicted;
    int m;
    std::string what;
  };
  std::vector<Item> items_;
};

}  // namespace plan_checks
