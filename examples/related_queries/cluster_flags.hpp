// The flags the related-query cluster programs take themselves (--help, --data, --epochs, and
// any of their own) before they forward the rest to the LeNet5 driver's parser; the LeNet5
// model flags are refused with a message naming the flag.
#pragma once

#include "../common/cli.hpp"
#include "seattle_weather.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_examples {

struct RelatedClusterFlags {
  std::string data = seattle_weather_default_path;
  int epochs = 100;  ///< the forecaster's; 20 under --smoke unless given
  std::vector<std::string> forwarded;

  /// The forwarded flags as an argv for the LeNet5 driver's parser (valid while this lives).
  std::vector<char*> forwarded_argv() {
    std::vector<char*> v;
    for (auto& f : forwarded) v.push_back(f.data());
    return v;
  }
};

/// Parses argv: `forwarded` starts the forwarded list (argv[0] and defaults that later flags
/// override); `own(flag)` takes a value-less flag of the program's own and returns true;
/// `after_smoke` is forwarded right after --smoke (so flags after it still override it);
/// `lenet_only` names the LeNet5 program the refused flags belong to.
template <class OwnFlag>
RelatedClusterFlags parse_related_cluster_flags(int argc, char** argv, const char* usage,
                                                std::vector<std::string> forwarded,
                                                const std::vector<std::string>& after_smoke,
                                                const std::string& lenet_only, OwnFlag own) {
  RelatedClusterFlags a;
  a.forwarded = std::move(forwarded);
  bool epochs_set = false, smoke = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf("%s", usage);
      std::exit(0);
    }
    auto value = [&] {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      return std::string(argv[++i]);
    };
    if (flag == "--data") a.data = value();
    else if (flag == "--epochs") {
      a.epochs = int(parse_integer(flag, value(), 1));
      epochs_set = true;
    } else if (own(flag)) continue;
    else if (flag == "--model" || flag == "--cache-dir" || flag == "--data-dir" || flag == "--fallback-train")
      throw std::invalid_argument(flag + " is an option of " + lenet_only + " only");
    else {
      a.forwarded.push_back(flag);
      if (flag == "--smoke") {
        a.forwarded.insert(a.forwarded.end(), after_smoke.begin(), after_smoke.end());
        smoke = true;
      }
    }
  }
  if (smoke && !epochs_set) a.epochs = 20;
  return a;
}

}  // namespace nercc_examples
