// Reader for the golden fixtures in tests/fixtures (see scripts/make_fixtures.py).
#pragma once

#include <nercc/types.hpp>

#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_test {

struct FixtureCase {
  std::string name;
  long n = 0, d = 0, p = 0;
  double lambda = 0;
  bool weighted = false;
  std::string reference;
  std::vector<double> sites, weights, values, points, expected, scipy;

  nercc::RowMatrix<double> values_matrix() const { return matrix(values, n, d); }
  nercc::RowMatrix<double> expected_matrix() const { return matrix(expected, p, d); }
  nercc::RowMatrix<double> scipy_matrix() const { return matrix(scipy, p, d); }

  static nercc::RowMatrix<double> matrix(const std::vector<double>& v, long rows, long cols) {
    if (long(v.size()) != rows * cols) throw std::runtime_error("fixture: wrong number of entries");
    nercc::RowMatrix<double> m(rows, cols);
    for (long i = 0; i < rows * cols; ++i) m.data()[i] = v[std::size_t(i)];
    return m;
  }
};

inline std::vector<FixtureCase> read_fixtures(const std::string& file) {
  std::ifstream in(std::string(NERCC_FIXTURE_DIR) + "/" + file);
  if (!in) throw std::runtime_error("cannot open fixture " + file);
  std::vector<FixtureCase> cases;
  std::string line;
  FixtureCase c;
  auto numbers = [](std::istringstream& s) {
    std::vector<double> v;
    std::string tok;
    while (s >> tok) v.push_back(std::stod(tok));
    return v;
  };
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::string head;
    s >> head;
    if (head == "case") {
      c = FixtureCase{};
      s >> c.name;
      std::string kv;
      while (s >> kv) {
        const auto eq = kv.find('=');
        const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
        if (k == "n") c.n = std::stol(v);
        else if (k == "d") c.d = std::stol(v);
        else if (k == "p") c.p = std::stol(v);
        else if (k == "lambda") c.lambda = std::stod(v);
        else if (k == "weighted") c.weighted = v == "1";
        else if (k == "reference") c.reference = v;
      }
    } else if (head == "sites") c.sites = numbers(s);
    else if (head == "weights") c.weights = numbers(s);
    else if (head == "values") c.values = numbers(s);
    else if (head == "points") c.points = numbers(s);
    else if (head == "expected") c.expected = numbers(s);
    else if (head == "scipy") c.scipy = numbers(s);
    else if (head == "end") cases.push_back(c);
  }
  if (cases.empty()) throw std::runtime_error("fixture " + file + " holds no case");
  return cases;
}

/// max |a - b| / max(max |b|, tiny): the error relative to the scale of the reference.
inline double relative_difference(const nercc::RowMatrix<double>& a, const nercc::RowMatrix<double>& b) {
  const double scale = std::max(b.cwiseAbs().maxCoeff(), 1e-300);
  return (a - b).cwiseAbs().maxCoeff() / scale;
}

}  // namespace nercc_test
