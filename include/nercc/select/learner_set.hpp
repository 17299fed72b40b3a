// The standard set of learners, GlobalBest first (the baseline the others are compared with).
#pragma once

#include <nercc/config.hpp>
#include <nercc/select/alors.hpp>
#include <nercc/select/learner.hpp>
#include <nercc/select/neighbours.hpp>
#include <nercc/select/pairwise_learners.hpp>

#include <cstdint>
#include <memory>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

/// GlobalBest, ISAC, ArgoSmArT, ALORS, BoostedTrees and MetaInf with default parameters, the
/// seeded ones seeded with `seed`.
inline std::vector<std::unique_ptr<Learner>> standard_learners(std::uint64_t seed = 1) {
  std::vector<std::unique_ptr<Learner>> out;
  KMeansParams kmeans;
  kmeans.seed = seed;
  AlorsParams alors;
  alors.seed = seed;
  BoostingParams boosting;
  boosting.seed = seed;
  MetaInfParams metainf;
  metainf.seed = seed;
  out.push_back(std::make_unique<GlobalBest>());
  out.push_back(std::make_unique<Isac>(kmeans));
  out.push_back(std::make_unique<ArgoSmart>());
  out.push_back(std::make_unique<Alors>(alors));
  out.push_back(std::make_unique<BoostedTrees>(boosting));
  out.push_back(std::make_unique<MetaInf>(metainf));
  return out;
}

}  // namespace select
NERCC_NAMESPACE_END
