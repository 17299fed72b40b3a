// The cluster front end's fallback model (fallback_model.hpp): the closed-form ridge fit against
// an independent least-squares solution, recovery of a linear teacher, the cache file round trip,
// and every error path.
#include "fallback_model.hpp"

#include <catch2/catch.hpp>

#include <Eigen/QR>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace {

using nercc_cluster::LinearFallback;
using Matrix = LinearFallback::Matrix;
constexpr Eigen::Index d = LinearFallback::input_dim, m = LinearFallback::num_classes;

std::vector<float> random_images(Eigen::Index rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<float> x(std::size_t(rows * d));
  for (auto& v : x) v = u(rng);
  return x;
}

Matrix random_weights(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  Matrix w(d + 1, m);
  for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = g(rng) * 0.1f;
  return w;
}

Matrix teacher_logits(const std::vector<float>& images, const Matrix& w) {
  const Eigen::Map<const Matrix> x(images.data(), Eigen::Index(images.size()) / d, d);
  return LinearFallback(w, 1.0).logits(x);
}

// Ridge with an unpenalised bias as an augmented least-squares problem, solved by column-pivoted
// QR: [X 1; sqrt(ridge) I 0] W = [Y; 0].
Eigen::MatrixXd reference_ridge(const std::vector<float>& images, const Matrix& y, double ridge) {
  const Eigen::Index n = y.rows();
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(n + d, d + 1);
  a.topLeftCorner(n, d) = Eigen::Map<const Matrix>(images.data(), n, d).cast<double>();
  a.topRightCorner(n, 1).setOnes();
  a.bottomLeftCorner(d, d).diagonal().setConstant(std::sqrt(ridge));
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(n + d, m);
  b.topRows(n) = y.cast<double>();
  return a.colPivHouseholderQr().solve(b);
}

}  // namespace

TEST_CASE("the fitted fallback equals an independent ridge solution", "[fallback]") {
  const Eigen::Index n = 1200;
  const auto images = random_images(n, 1);
  // A teacher the linear model cannot match exactly: a nonlinear map of a linear one.
  Matrix y = teacher_logits(images, random_weights(2)).array().tanh().matrix() * 3.0f;
  // One ridge value: the held-out choice is then trivially it, and the final fit is on all rows.
  const LinearFallback fit = nercc_cluster::fit_linear_fallback(images, y, {0.5});
  CHECK(fit.ridge() == 0.5);
  const Eigen::MatrixXd ref = reference_ridge(images, y, 0.5);
  const double scale = ref.cwiseAbs().maxCoeff();
  CHECK((fit.weights().cast<double>() - ref).cwiseAbs().maxCoeff() <= 1e-4 * scale);
}

TEST_CASE("a linear teacher is recovered and agreed with everywhere", "[fallback]") {
  const Eigen::Index n = 2000;
  const auto images = random_images(n, 3);
  const Matrix w = random_weights(4);
  const LinearFallback fit = nercc_cluster::fit_linear_fallback(images, teacher_logits(images, w), {1e-6, 1e-3});
  CHECK((fit.weights() - w).cwiseAbs().maxCoeff() <= 1e-3f);
  const auto fresh = random_images(500, 5);
  const Eigen::Map<const Matrix> x(fresh.data(), 500, d);
  CHECK(nercc_cluster::argmax_agreement(fit.logits(x), teacher_logits(fresh, w)) == 1.0);
}

TEST_CASE("argmax_agreement counts rows whose largest entry is in the same column", "[fallback]") {
  Matrix a(3, m), b(3, m);
  a.setZero();
  b.setZero();
  a(0, 1) = b(0, 1) = 1;  // agree
  a(1, 2) = 1, b(1, 3) = 1;  // disagree
  a(2, 9) = 2, b(2, 9) = 5;  // agree
  CHECK(nercc_cluster::argmax_agreement(a, b) == Approx(2.0 / 3.0));
  CHECK_THROWS_AS(nercc_cluster::argmax_agreement(a, b.topRows(2)), std::invalid_argument);
  CHECK_THROWS_AS(nercc_cluster::argmax_agreement(a.topRows(0), b.topRows(0)), std::invalid_argument);
}

TEST_CASE("the fallback cache file round-trips and a damaged one is refused", "[fallback]") {
  const auto dir = std::filesystem::temp_directory_path() / "nercc_fallback_model_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "model.bin").string();
  const LinearFallback model(random_weights(6), 2.5);
  nercc_cluster::detail::write_fallback(path, model);
  LinearFallback back;
  REQUIRE(nercc_cluster::detail::try_read_fallback(path, back));
  CHECK(back.weights() == model.weights());
  CHECK(back.ridge() == 2.5);
  // One byte short, or one byte too many: refused.
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 1);
  CHECK_FALSE(nercc_cluster::detail::try_read_fallback(path, back));
  std::filesystem::resize_file(path, size + 1);
  CHECK_FALSE(nercc_cluster::detail::try_read_fallback(path, back));
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << "not a model";
  }
  CHECK_FALSE(nercc_cluster::detail::try_read_fallback(path, back));
  CHECK_FALSE(nercc_cluster::detail::try_read_fallback((dir / "missing.bin").string(), back));
  std::filesystem::remove_all(dir);
}

TEST_CASE("the fallback's bad inputs are refused with the argument named", "[fallback]") {
  const auto images = random_images(40, 7);
  const Matrix y = Matrix::Zero(40, m);
  CHECK_THROWS_WITH(nercc_cluster::fit_linear_fallback(images, y.topRows(39)), Catch::Contains("rows of 10 logits"));
  CHECK_THROWS_WITH(nercc_cluster::fit_linear_fallback(random_images(10, 8), Matrix::Zero(10, m)),
                    Catch::Contains("at least 20 images"));
  CHECK_THROWS_WITH(nercc_cluster::fit_linear_fallback(images, Matrix::Zero(40, 9)), Catch::Contains("10 logits"));
  CHECK_THROWS_WITH(nercc_cluster::fit_linear_fallback(images, y, {}), Catch::Contains("ridges is empty"));
  CHECK_THROWS_WITH(nercc_cluster::fit_linear_fallback(images, y, {1.0, 0.0}), Catch::Contains("ridge must be > 0"));
  CHECK_THROWS_WITH(LinearFallback(Matrix::Zero(784, m), 1.0), Catch::Contains("785 x 10"));
  Matrix nan = Matrix::Zero(d + 1, m);
  nan(3, 3) = std::nanf("");
  CHECK_THROWS_WITH(LinearFallback(nan, 1.0), Catch::Contains("finite"));
  const LinearFallback model(random_weights(9), 1.0);
  CHECK_THROWS_WITH(model.logits(Matrix::Zero(2, 783)), Catch::Contains("784 columns"));
  // The runtime hook gives the same logits as the model.
  const Matrix x = Eigen::Map<const Matrix>(images.data(), 2, d);
  CHECK(model.as_fallback()(x) == model.logits(x));
}
