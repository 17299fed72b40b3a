// nercc_related_queries_worker: one worker of the related-query cluster run (cluster_main.cpp).
// Serves the forecaster's outputs for batches of (coded) forecast windows over gRPC, with the
// cluster demo's server (../grpc_cluster/worker_server.hpp: injected delay per call, "listening
// PORT" on stdout, stop on SIGTERM/SIGINT or after --lifetime-s). The weights come from the file
// the front end saved (Forecaster::save), so every worker serves the same model.
#include "forecaster.hpp"

#include "../grpc_cluster/cluster_common.hpp"
#include "../grpc_cluster/worker_server.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace {

const char* const usage = R"(usage: nercc_related_queries_worker --model FILE [options]
  --model FILE            forecaster weights saved by the front end (required)
)";

struct Args {
  nercc_cluster::WorkerOptions server;
  std::string model;
};

Args parse_args(int argc, char** argv) {
  Args a;
  a.server = nercc_cluster::parse_worker_options(argc, argv, usage, [&](const std::string& flag, const std::string& value) {
    if (flag != "--model") return false;
    a.model = value;
    return true;
  });
  if (a.model.empty()) throw std::invalid_argument("--model FILE is required");
  return a;
}

int run(const Args& a) {
  return nercc_cluster::serve_worker("nercc_related_queries_worker", a.server, [&] {
    const nercc_examples::Forecaster forecaster = nercc_examples::Forecaster::load(a.model);
    nercc_cluster::ServedModel m;
    m.input_dim = forecaster.input_dim();
    m.output_dim = forecaster.output_dim();
    m.run = [forecaster, in = m.input_dim](const float* x, std::int64_t rows, float* out) {
      const auto y = forecaster.predict(Eigen::Map<const nercc_examples::Forecaster::Matrix>(x, rows, in), 1);
      std::copy(y.data(), y.data() + y.size(), out);
    };
    return m;
  });
}

}  // namespace

int main(int argc, char** argv) {
  return nercc_cluster::run_main("nercc_related_queries_worker", usage, argc, argv, parse_args, run);
}
