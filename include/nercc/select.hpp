// nercc::select: the optional configuration selector (issue 17). From a corpus of measured
// (task, configuration) runs it learns which coded configuration suits a new task, from cheap
// features of the task, so that only a short list needs calibrating on the user's model.
// Never included by nercc.hpp. The parts:
//   <nercc/select/configuration.hpp>      Configuration: one point of the grid, its id and features
//   <nercc/select/run_log.hpp>            RunRecord, RunLog: the corpus (standard library only)
//   <nercc/select/run_log_csv.hpp>        its CSV form
//   <nercc/select/performance_matrix.hpp> the task x configuration matrix under a utility
//   <nercc/select/learner.hpp>            the Learner interface, GlobalBest
//   <nercc/select/learner_set.hpp>        standard_learners(): all six, GlobalBest first
//   <nercc/select/neighbours.hpp>         ISAC (k-means, <nercc/select/kmeans.hpp>), ArgoSmArT (1-NN)
//   <nercc/select/alors.hpp>              ALORS (low-rank completion, features regressed to factors)
//   <nercc/select/pairwise_learners.hpp>  BoostedTrees (<nercc/select/gradient_boosting.hpp>), MetaInf
//   <nercc/select/metrics.hpp>            score_ranking: hit within 1% of the best, regret, NDCG@k; spearman
//   <nercc/select/wilcoxon.hpp>           the Wilcoxon signed-rank test
//   <nercc/select/evaluate.hpp>           leave_one_task_out, compare_regret
//   <nercc/select/features.hpp>           task_features: cheap features of a model on typical queries
//   <nercc/select/random.hpp>             standard_normal: seeded normal draws
//   <nercc/select/short_list.hpp>         Selector::select: the short list under an SLO and a budget
//   <nercc/select/verify.hpp>             verify: the short list measured on the user's model
//   <nercc/select/calibrate_short_list.hpp> the planner's calibrate() on the short list only
#pragma once

#include <nercc/select/alors.hpp>
#include <nercc/select/calibrate_short_list.hpp>
#include <nercc/select/configuration.hpp>
#include <nercc/select/evaluate.hpp>
#include <nercc/select/features.hpp>
#include <nercc/select/gradient_boosting.hpp>
#include <nercc/select/kmeans.hpp>
#include <nercc/select/learner.hpp>
#include <nercc/select/learner_set.hpp>
#include <nercc/select/metrics.hpp>
#include <nercc/select/neighbours.hpp>
#include <nercc/select/pairwise_learners.hpp>
#include <nercc/select/random.hpp>
#include <nercc/select/performance_matrix.hpp>
#include <nercc/select/run_log.hpp>
#include <nercc/select/run_log_csv.hpp>
#include <nercc/select/short_list.hpp>
#include <nercc/select/verify.hpp>
#include <nercc/select/wilcoxon.hpp>
