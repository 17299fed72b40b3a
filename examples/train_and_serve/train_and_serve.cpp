// Train a random-features classifier on Fashion-MNIST with DAP-SVRG on 4 workers, one of them
// slow (threads, or MPI ranks under `mpirun -np 5 ... --mpi`), check its test accuracy against
// a FISTA reference solve, then serve it with coded straggler tolerance: NeRCC (spline) vs
// Berrut RelAcc as the number of stragglers S grows, and as the feature bandwidth grows.
//
//   nercc_train_and_serve [--smoke] [--mpi] [--out DIR]
// Exit status 1 when the DAP-SVRG model's test accuracy is not within 0.5% of the reference.
#include "../common/fashion_mnist.hpp"
#include "../fashion_mnist/progress.hpp"
#include "softmax_regression.hpp"

#include <nercc/nercc.hpp>
#include <nercc/optim.hpp>
#ifdef NERCC_EXAMPLE_MPI
#include <nercc/optim/mpi_executor.hpp>
#endif

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using namespace train_and_serve;
namespace optim = nercc::optim;

namespace {

struct Options {
  bool smoke = false;
  bool mpi = false;
  std::string out;  // directory for the plot data; empty: none
  Index train = 10000, test = 2000, features = 500, epochs = 12, trials = 40;
  double bandwidth = 8.0;
};

struct Split {
  RowMatrix<float> images;
  std::vector<int> labels;
};

Split load(const std::string& name, Index limit) {
  const auto s = nercc_examples::load_fashion_mnist(nercc_examples::fashion_mnist_dir(), name, limit);
  Split out{Eigen::Map<const RowMatrix<float>>(s.images.data(), s.count, s.pixels), {}};
  out.labels.assign(s.labels.begin(), s.labels.end());
  return out;
}

constexpr Index classes = 10;
const optim::ElasticNetProx regulariser(1e-5, 1e-3);

/// The trained model f(x) = W^T z(x): logits of image rows.
struct Model {
  RandomFeatures features;
  Vector<double> w;
  RowMatrix<float> operator()(const RowMatrix<float>& images) const {
    const RowMatrix<double> z = features(images);
    return (z * Eigen::Map<const RowMatrix<double>>(w.data(), features.size(), classes)).cast<float>();
  }
};

template <class Row>
Index argmax(const Row& row) {
  Index k = 0;
  row.maxCoeff(&k);
  return k;
}

double accuracy(const Model& model, const Split& test) {
  const RowMatrix<float> logits = model(test.images);
  Index right = 0;
  for (Index i = 0; i < logits.rows(); ++i) right += argmax(logits.row(i)) == test.labels[std::size_t(i)];
  return double(right) / double(logits.rows());
}

optim::SvrgParams training_params(const SoftmaxRegression& objective, Index epochs) {
  optim::SvrgParams sp;
  sp.step = 1.0 / objective.max_term_smoothness();
  sp.minibatch = 8;
  sp.epochs = epochs;
  sp.max_staleness = 16;
  sp.automatic_relaxation = true;
  return sp;
}

/// DAP-SVRG with a progress bar; returns the weights.
template <class Executor>
optim::OptimResult train(const SoftmaxRegression& objective, Index epochs, const Executor& executor, bool show) {
  nercc_examples::ProgressBar bar("DAP-SVRG", epochs, show);
  return optim::dap_svrg(objective, regulariser, training_params(objective, epochs),
                         Vector<double>::Zero(objective.dim()), executor, [&](const optim::Progress& p) {
                           char status[128];
                           std::snprintf(status, sizeof status, "objective %.6f staleness %.2f gamma %.3f",
                                         p.objective, p.total_staleness.mean, p.relaxation);
                           bar.update(p.epoch, status);
                         });
}

Vector<double> reference(const SoftmaxRegression& objective) {
  optim::FistaParams fp;
  fp.lipschitz = objective.smoothness();
  fp.tolerance = 1e-9;
  fp.max_iterations = 3000;
  return optim::fista(objective, regulariser, fp, Vector<double>::Zero(objective.dim())).x;
}

struct Coded {
  double rel_acc = 0, mse = 0;
};

/// Coded serving of `model` on `trials` random batches of K test images, N workers, S random
/// stragglers: RelAcc (argmax agreement with the uncoded model) and MSE of the logits.
template <class Scheme>
Coded serve(const Model& model, const Split& test, Index k, Index n, Index s, Index trials, std::uint64_t seed) {
  nercc::CodeParams cp;
  cp.num_queries = k;
  cp.num_workers = n;
  const nercc::Encoder<Scheme, float> encoder(cp);
  const nercc::Decoder<Scheme, float> decoder(cp);
  std::mt19937_64 rng(seed);
  std::vector<Index> rows(static_cast<std::size_t>(test.images.rows())), workers(static_cast<std::size_t>(n));
  std::iota(rows.begin(), rows.end(), 0);
  Coded c;
  for (Index t = 0; t < trials; ++t) {
    std::shuffle(rows.begin(), rows.end(), rng);
    RowMatrix<float> batch(k, test.images.cols());
    for (Index i = 0; i < k; ++i) batch.row(i) = test.images.row(rows[std::size_t(i)]);
    const RowMatrix<float> exact = model(batch);
    const RowMatrix<float> answers = model(encoder.encode(batch));  // every worker's output
    std::iota(workers.begin(), workers.end(), 0);
    std::shuffle(workers.begin(), workers.end(), rng);
    workers.resize(std::size_t(n - s));  // the first N - S to answer
    RowMatrix<float> answered(n - s, answers.cols());
    for (Index j = 0; j < n - s; ++j) answered.row(j) = answers.row(workers[std::size_t(j)]);
    const auto r = decoder.decode(workers, answered);
    workers.resize(std::size_t(n));
    for (Index i = 0; i < k; ++i) c.rel_acc += argmax(r.values.row(i)) == argmax(exact.row(i));
    c.mse += double((r.values - exact).squaredNorm()) / double(exact.size());
  }
  c.rel_acc /= double(trials * k);
  c.mse /= double(trials);
  return c;
}

int run(const Options& o, int rank) {
  const bool server = rank == 0;
  const Split train_split = load("train", o.train), test = load("t10k", o.test);
  const RandomFeatures features(train_split.images.cols(), o.features, o.bandwidth, 1);
  const SoftmaxRegression objective(features(train_split.images), train_split.labels, classes);

  optim::OptimResult dap;
#ifdef NERCC_EXAMPLE_MPI
  if (o.mpi) dap = train(objective, o.epochs, optim::MpiExecutor{MPI_COMM_WORLD, 1, 4.0}, server);
#endif
  if (!o.mpi) dap = train(objective, o.epochs, optim::ThreadExecutor{4, 0, 4.0}, true);
  if (!server) return 0;

  const Model trained{features, dap.x};
  const Model ref{features, reference(objective)};
  const double acc = accuracy(trained, test), acc_ref = accuracy(ref, test);
  std::printf("executor %s: 4 workers, worker 1 4x slower; %ld epochs, mean staleness %.2f (max %ld), gamma %.3f\n",
              o.mpi ? "MPI (mpirun -np 5)" : "threads", long(dap.epochs), dap.staleness.mean,
              long(dap.staleness.max), dap.relaxation);
  std::printf("objective f + h: DAP-SVRG %.8f, FISTA reference %.8f\n", objective.value(trained.w) + regulariser.value(trained.w),
              objective.value(ref.w) + regulariser.value(ref.w));
  std::printf("test accuracy: DAP-SVRG %.4f, FISTA reference %.4f, gap %.4f (%ld train, %ld test, D = %ld)\n", acc,
              acc_ref, std::abs(acc - acc_ref), long(o.train), long(o.test), long(o.features));
  const bool ok = std::abs(acc - acc_ref) <= 0.005;
  if (o.mpi) return ok ? 0 : 1;

  const Index k = 10, n = 60;
  std::FILE* plot = o.out.empty() ? nullptr : std::fopen((o.out + "/optim_serving_stragglers.dat").c_str(), "w");
  std::printf("\ncoded serving, K = %ld, N = %ld, %ld random batches per point\n", long(k), long(n), long(o.trials));
  std::printf("%4s %14s %14s %12s %12s\n", "S", "NeRCC RelAcc", "Berrut RelAcc", "NeRCC MSE", "Berrut MSE");
  for (const Index s : {0, 6, 12, 18, 24, 30}) {
    const Coded spline = serve<nercc::SplineScheme>(trained, test, k, n, s, o.trials, 7);
    const Coded berrut = serve<nercc::BerrutScheme>(trained, test, k, n, s, o.trials, 7);
    std::printf("%4ld %14.4f %14.4f %12.4g %12.4g\n", long(s), spline.rel_acc, berrut.rel_acc, spline.mse, berrut.mse);
    if (plot) std::fprintf(plot, "%ld %g %g %g %g\n", long(s), spline.rel_acc, berrut.rel_acc, spline.mse, berrut.mse);
  }
  if (plot) std::fclose(plot);

  plot = o.out.empty() ? nullptr : std::fopen((o.out + "/optim_serving_bandwidth.dat").c_str(), "w");
  std::printf("\nbandwidth sweep (each model trained by DAP-SVRG, threads), S = 12\n");
  std::printf("%9s %9s %14s %14s %12s %12s\n", "bandwidth", "test acc", "NeRCC RelAcc", "Berrut RelAcc", "NeRCC MSE",
              "Berrut MSE");
  const std::vector<double> bandwidths = o.smoke ? std::vector<double>{4, 16} : std::vector<double>{2, 4, 8, 16, 32};
  for (const double b : bandwidths) {
    const RandomFeatures fb(train_split.images.cols(), o.features, b, 1);
    const SoftmaxRegression ob(fb(train_split.images), train_split.labels, classes);
    const Model m{fb, train(ob, o.epochs, optim::ThreadExecutor{4, 0, 4.0}, false).x};
    const Coded spline = serve<nercc::SplineScheme>(m, test, k, n, 12, o.trials, 7);
    const Coded berrut = serve<nercc::BerrutScheme>(m, test, k, n, 12, o.trials, 7);
    std::printf("%9g %9.4f %14.4f %14.4f %12.4g %12.4g\n", b, accuracy(m, test), spline.rel_acc, berrut.rel_acc,
                spline.mse, berrut.mse);
    if (plot) std::fprintf(plot, "%g %g %g %g %g\n", b, spline.rel_acc, berrut.rel_acc, spline.mse, berrut.mse);
  }
  if (plot) std::fclose(plot);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--smoke")) {
      o.smoke = true;
      o.train = 2000, o.test = 500, o.features = 150, o.epochs = 25, o.trials = 5;
    } else if (!std::strcmp(argv[i], "--mpi")) {
      o.mpi = true;
    } else if (!std::strcmp(argv[i], "--out") && i + 1 < argc) {
      o.out = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--smoke] [--mpi] [--out DIR]\n", argv[0]);
      return 2;
    }
  }
  int rank = 0;
#ifdef NERCC_EXAMPLE_MPI
  if (o.mpi) {
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  }
#else
  if (o.mpi) {
    std::fprintf(stderr, "built without MPI: --mpi is not available\n");
    return 2;
  }
#endif
  int status = 0;
  try {
    status = run(o, rank);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    status = 1;
  }
#ifdef NERCC_EXAMPLE_MPI
  if (o.mpi) MPI_Finalize();
#endif
  return status;
}
