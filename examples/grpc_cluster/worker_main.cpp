// nercc_grpc_worker: one worker of the cluster demo. Serves LeNet5 logits for batches of
// (coded) Fashion-MNIST images over gRPC (127.0.0.1 unless --host says otherwise), adding an injected service delay per
// call. Prints "listening PORT" on stdout once it serves; stops on SIGTERM/SIGINT or after
// --lifetime-s seconds, whichever comes first (worker_server.hpp).
#include "cluster_common.hpp"
#include "worker_server.hpp"

#include <memory>
#include <string>

namespace {

const char* const usage = R"(usage: nercc_grpc_worker [options]
  --model lenet5|smoke    weights to serve (default lenet5), from the weight cache
  --cache-dir DIR         weight cache (default: the Fashion-MNIST example's)
)";

struct Args {
  nercc_cluster::WorkerOptions server;
  std::string model = "lenet5";
  std::string cache_dir;
};

Args parse_args(int argc, char** argv) {
  Args a;
  a.server = nercc_cluster::parse_worker_options(argc, argv, usage, [&](const std::string& flag, const std::string& value) {
    if (flag == "--model") a.model = value;
    else if (flag == "--cache-dir") a.cache_dir = value;
    else return false;
    return true;
  });
  return a;
}

int run(const Args& a) {
  return nercc_cluster::serve_worker("nercc_grpc_worker", a.server, [&] {
    nercc_examples::TrainOptions options;
    options.cache_dir = a.cache_dir;
    options.progress = false;
    const auto trained = nercc_examples::train_or_load(nercc_cluster::model_config(a.model), options);
    auto classifier = std::make_shared<const nercc_examples::Classifier>(trained.classifier);
    nercc_cluster::ServedModel m;
    m.input_dim = nercc_examples::Classifier::input_dim;
    m.output_dim = nercc_examples::Classifier::num_classes;
    m.run = [classifier](const float* in, std::int64_t rows, float* out) { classifier->logits_into(in, rows, out, 1); };
    return m;
  });
}

}  // namespace

int main(int argc, char** argv) { return nercc_cluster::run_main("nercc_grpc_worker", usage, argc, argv, parse_args, run); }
