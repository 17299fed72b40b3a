// What the cluster demo's front end and workers share: flag parsing, the model choice, and the
// injected latency distribution (the front end forwards it to every worker it starts).
#pragma once

#include "../common/cli.hpp"
#include "models.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace nercc_cluster {

using nercc_examples::parse_integer;
using nercc_examples::parse_real;

/// A comma-separated list of numbers; `flag` names it in the error.
inline std::vector<double> parse_real_list(const std::string& flag, const std::string& v) {
  std::vector<double> out;
  for (const auto& part : nercc_examples::split_list(v, ',')) out.push_back(parse_real(flag, part));
  if (out.empty()) throw std::invalid_argument(flag + " expects a comma-separated list of numbers");
  return out;
}

using nercc_examples::run_main;

/// "lenet5": the published LeNet5 (cache, else trained); "smoke": the seconds-long LeNet5.
inline nercc_examples::TrainConfig model_config(const std::string& name) {
  using nercc_examples::FmnistModel;
  using nercc_examples::TrainConfig;
  if (name == "lenet5") return TrainConfig::defaults(FmnistModel::lenet5);
  if (name == "smoke") return TrainConfig::smoke(FmnistModel::lenet5);
  throw std::invalid_argument("--model expects lenet5 or smoke, got \"" + name + "\"");
}

/// Per-call service delay a worker adds on top of its real computation:
///   base_ms + Exp(mean jitter_ms), times slow_factor with probability slow_fraction,
///   plus a Pareto(scale tail_ms, shape tail_alpha) delay with probability tail_fraction,
///   capped at max_ms.
struct LatencyParams {
  double base_ms = 2.0;
  double jitter_ms = 0.5;
  double slow_fraction = 0.1;
  double slow_factor = 5.0;
  double tail_fraction = 0.01;
  double tail_ms = 20.0;
  double tail_alpha = 1.5;
  double max_ms = 1000.0;

  /// Consumes `flag value` if flag names a field; returns whether it did.
  bool parse(const std::string& flag, const std::string& value) {
    for (auto& f : fields())
      if (flag == f.flag) {
        this->*f.member = parse_real(flag, value);
        return true;
      }
    return false;
  }

  /// Throws std::invalid_argument naming the bad field.
  void validate() const {
    auto fail = [](const std::string& what) { throw std::invalid_argument(what); };
    if (!(base_ms >= 0 && jitter_ms >= 0 && tail_ms >= 0 && max_ms >= 0)) fail("latency times must be >= 0");
    if (!(slow_fraction >= 0 && slow_fraction <= 1)) fail("--slow-fraction must lie in [0, 1]");
    if (!(tail_fraction >= 0 && tail_fraction <= 1)) fail("--tail-fraction must lie in [0, 1]");
    if (!(slow_factor >= 1)) fail("--slow-factor must be >= 1");
    if (!(tail_alpha > 0)) fail("--tail-alpha must be > 0");
  }

  /// The flags that reproduce these values.
  std::vector<std::string> to_args() const {
    std::vector<std::string> args;
    for (auto& f : fields()) {
      args.push_back(f.flag);
      char text[32];
      std::snprintf(text, sizeof text, "%.15g", this->*f.member);
      args.push_back(text);
    }
    return args;
  }

  /// One delay in milliseconds.
  template <class Rng>
  double sample_ms(Rng& rng) const {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    double ms = base_ms + (jitter_ms > 0 ? std::exponential_distribution<double>(1.0 / jitter_ms)(rng) : 0.0);
    if (u(rng) < slow_fraction) ms *= slow_factor;
    if (u(rng) < tail_fraction) ms += tail_ms * std::pow(1.0 - u(rng), -1.0 / tail_alpha);
    return std::min(ms, max_ms);
  }

 private:
  struct Field {
    const char* flag;
    double LatencyParams::*member;
  };
  static const std::vector<Field>& fields() {
    static const std::vector<Field> f = {
        {"--base-ms", &LatencyParams::base_ms},         {"--jitter-ms", &LatencyParams::jitter_ms},
        {"--slow-fraction", &LatencyParams::slow_fraction}, {"--slow-factor", &LatencyParams::slow_factor},
        {"--tail-fraction", &LatencyParams::tail_fraction}, {"--tail-ms", &LatencyParams::tail_ms},
        {"--tail-alpha", &LatencyParams::tail_alpha},     {"--max-delay-ms", &LatencyParams::max_ms},
    };
    return f;
  }
};

inline const char* latency_usage() {
  return R"(  --base-ms X             injected delay per call (default 2)
  --jitter-ms X           plus an exponential delay of this mean (default 0.5)
  --slow-fraction P       fraction of calls slowed by --slow-factor (default 0.1)
  --slow-factor F         (default 5)
  --tail-fraction P       fraction of calls that add a Pareto delay (default 0.01)
  --tail-ms X             Pareto scale (default 20)
  --tail-alpha A          Pareto shape; smaller is heavier (default 1.5)
  --max-delay-ms X        cap on the injected delay (default 1000)
)";
}

/// The flags every cluster program takes: --help (prints `usage` and the latency flags, exits)
/// and --quiet (clears `progress`). Returns whether `flag` was one of them.
inline bool common_flag(const std::string& flag, const char* usage, bool& progress) {
  if (flag == "--help" || flag == "-h") {
    std::printf("%s%s", usage, latency_usage());
    std::exit(0);
  }
  if (flag == "--quiet") {
    progress = false;
    return true;
  }
  return false;
}

}  // namespace nercc_cluster
