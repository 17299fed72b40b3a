// The related-query experiment's report: the console lines, results.md, results.csv and the
// gnuplot figure, and the --require-related-helps check. Not part of the library.
#pragma once

#include "coded_evaluation.hpp"

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace nercc_examples {

/// The forecasters' own accuracy (MAE in degrees C over the test windows unless named train).
struct ModelSummary {
  long long train_rows = 0, test_rows = 0;
  double train_seconds = 0, ridge_lambda = 0;
  double model_mae = 0, ridge_mae = 0, persistence_mae = 0;
  double model_train_mae = 0, ridge_train_mae = 0;
  double ridge_vs_model_mae = 0;  ///< MAE between the ridge and the model forecasts (test windows)
};

/// One (code, group kind, S) line of the table; MAEs in degrees C, means over the estimated queries.
struct ResultRow {
  std::string scheme, layout, kind;
  long long k = 0, n = 0, s = 0, groups = 0, estimated = 0, unavailable = 0;
  double lambda_enc = 0, lambda_dec = 0, spread = 0;
  double coded_vs_truth = 0, fallback_vs_truth = 0, model_vs_truth = 0, persistence_vs_truth = 0;
  double coded_vs_model = 0, fallback_vs_model = 0;
  double hybrid_vs_truth = 0, hybrid_vs_model = 0, hybrid_fallback_share = 0;

  double redundancy() const { return double(n) / double(k); }
  /// How many times more accurate than the fallback the coded estimate is, against the truth.
  double gain_truth() const { return fallback_vs_truth / coded_vs_truth; }
  /// The same against the model's own forecast (the answer the lost worker would have given).
  double gain_model() const { return fallback_vs_model / coded_vs_model; }
};

inline ResultRow make_row(const char* scheme, Layout layout, GroupKind kind, const TunedCode& tuned,
                          const MissingQueryErrors& e) {
  ResultRow r;
  r.scheme = scheme;
  r.layout = to_string(layout);
  r.kind = to_string(kind);
  r.k = tuned.code.num_queries;
  r.n = tuned.code.num_workers;
  r.s = e.stragglers;
  r.groups = e.groups;
  r.estimated = e.estimated;
  r.unavailable = e.unavailable;
  r.lambda_enc = tuned.code.lambda_enc;
  r.lambda_dec = tuned.code.lambda_dec;
  r.spread = tuned.spread;
  r.coded_vs_truth = e.mean(e.coded_vs_truth);
  r.fallback_vs_truth = e.mean(e.fallback_vs_truth);
  r.model_vs_truth = e.mean(e.model_vs_truth);
  r.persistence_vs_truth = e.mean(e.persistence_vs_truth);
  r.coded_vs_model = e.mean(e.coded_vs_model);
  r.fallback_vs_model = e.mean(e.fallback_vs_model);
  r.hybrid_vs_truth = e.mean(e.hybrid_vs_truth);
  r.hybrid_vs_model = e.mean(e.hybrid_vs_model);
  r.hybrid_fallback_share = e.mean(double(e.hybrid_fallbacks));
  return r;
}

inline void print_summary(const ModelSummary& m) {
  std::printf("forecaster: %lld training windows (%.1f s), %lld test windows\n", m.train_rows, m.train_seconds,
              m.test_rows);
  std::printf("test MAE (deg C): model %.3f, ridge %.3f (lambda %g), persistence %.3f; train MAE: model %.3f, ridge %.3f\n",
              m.model_mae, m.ridge_mae, m.ridge_lambda, m.persistence_mae, m.model_train_mae, m.ridge_train_mae);
}

inline void print_row(const ResultRow& r) {
  std::printf("%-6s %-10s %-9s K %lld N %lld S %lld: %lld estimated, coded %.3f ridge %.3f model %.3f (vs model: coded %.3f ridge %.3f)\n",
              r.scheme.c_str(), r.layout.c_str(), r.kind.c_str(), r.k, r.n, r.s, r.estimated, r.coded_vs_truth,
              r.fallback_vs_truth, r.model_vs_truth, r.coded_vs_model, r.fallback_vs_model);
  std::fflush(stdout);
}

namespace detail {
inline std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}
inline std::string general(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}
inline std::string code_name(const ResultRow& r) { return r.scheme + " " + r.layout; }
}  // namespace detail

/// The markdown table of every row.
inline std::string results_table(const std::vector<ResultRow>& rows) {
  std::ostringstream t;
  t << "| K | N | N/K | S | code | groups | estimated per group | coded MAE | ridge MAE | ridge / coded | model MAE "
       "| coded vs model | ridge vs model | ridge / coded (vs model) | hybrid vs model | ridge / hybrid (vs model) "
       "| hybrid's fallback share |\n"
    << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& r : rows)
    t << "| " << r.k << " | " << r.n << " | " << detail::fixed(r.redundancy(), 2) << " | " << r.s << " | "
      << detail::code_name(r) << ", " << r.kind << " | " << r.groups << " | "
      << detail::fixed(double(r.estimated) / double(r.groups), 2) << " | " << detail::fixed(r.coded_vs_truth, 3)
      << " | " << detail::fixed(r.fallback_vs_truth, 3) << " | " << detail::fixed(r.gain_truth(), 2) << " | "
      << detail::fixed(r.model_vs_truth, 3) << " | " << detail::fixed(r.coded_vs_model, 3) << " | "
      << detail::fixed(r.fallback_vs_model, 3) << " | " << detail::fixed(r.gain_model(), 2) << " | "
      << detail::fixed(r.hybrid_vs_model, 3) << " | " << detail::fixed(r.fallback_vs_model / r.hybrid_vs_model, 2)
      << " | " << detail::fixed(r.hybrid_fallback_share, 2) << " |\n";
  return t.str();
}

/// Counts (and reports on stderr) the codes and S whose estimates are not closer to the model on
/// related groups than on unrelated ones, at the smallest S of each code.
inline int check_related_helps(const std::vector<ResultRow>& rows) {
  using Key = std::tuple<std::string, long long, long long, long long>;
  std::map<Key, double> related, unrelated;
  std::map<std::tuple<std::string, long long, long long>, long long> smallest_s;
  for (const auto& r : rows) {
    auto& s = smallest_s[{detail::code_name(r), r.k, r.n}];
    s = s == 0 ? r.s : std::min(s, r.s);
  }
  for (const auto& r : rows) {
    if (r.s != smallest_s[{detail::code_name(r), r.k, r.n}]) continue;
    (r.kind == "related" ? related : unrelated)[{detail::code_name(r), r.k, r.n, r.s}] = r.coded_vs_model;
  }
  int failures = 0;
  for (const auto& [key, value] : related) {
    const auto other = unrelated.find(key);
    if (other == unrelated.end() || value < other->second) continue;
    std::fprintf(stderr, "FAIL: %s K %lld N %lld S %lld: coded vs model %.4f on related groups, %.4f on unrelated\n",
                 std::get<0>(key).c_str(), std::get<1>(key), std::get<2>(key), std::get<3>(key), value, other->second);
    ++failures;
  }
  if (related.empty()) {
    std::fprintf(stderr, "FAIL: no related row to compare\n");
    ++failures;
  }
  return failures;
}

/// Writes results.md, results.csv and (with plots) plot_data/ and related_queries.png under `dir`.
/// Throws std::runtime_error when a file cannot be written or gnuplot fails.
inline void write_results(const std::string& dir, const ModelSummary& m, const std::vector<ResultRow>& rows,
                          bool plots) {
  namespace fs = std::filesystem;
  const fs::path out(dir);
  fs::create_directories(out / "plot_data");
  auto open = [](const fs::path& p) {
    std::ofstream f(p);
    if (!f) throw std::runtime_error("cannot write " + p.string());
    return f;
  };
  {
    auto md = open(out / "results.md");
    md << "Test MAE (deg C, " << m.test_rows << " windows): model " << detail::fixed(m.model_mae, 3) << ", ridge "
       << detail::fixed(m.ridge_mae, 3) << " (lambda " << detail::general(m.ridge_lambda) << "), persistence "
       << detail::fixed(m.persistence_mae, 3) << ". Train MAE: model " << detail::fixed(m.model_train_mae, 3)
       << ", ridge " << detail::fixed(m.ridge_train_mae, 3) << ".\n\n"
       << results_table(rows);
  }
  {
    auto csv = open(out / "results.csv");
    csv << "scheme,layout,kind,K,N,S,lambda_enc,lambda_dec,spread,groups,estimated,unavailable,coded_vs_truth,"
           "fallback_vs_truth,model_vs_truth,persistence_vs_truth,coded_vs_model,fallback_vs_model,hybrid_vs_truth,"
           "hybrid_vs_model,hybrid_fallback_share\n";
    for (const auto& r : rows)
      csv << r.scheme << ',' << r.layout << ',' << r.kind << ',' << r.k << ',' << r.n << ',' << r.s << ','
          << r.lambda_enc << ',' << r.lambda_dec << ',' << r.spread << ',' << r.groups << ',' << r.estimated << ','
          << r.unavailable << ',' << r.coded_vs_truth << ',' << r.fallback_vs_truth << ',' << r.model_vs_truth << ','
          << r.persistence_vs_truth << ',' << r.coded_vs_model << ',' << r.fallback_vs_model << ','
          << r.hybrid_vs_truth << ',' << r.hybrid_vs_model << ',' << r.hybrid_fallback_share << '\n';
  }
  if (!plots || rows.empty()) return;
  // The figure: the first K at the smallest S against N/K, one line per code and group kind,
  // with the whole test set's ridge and model MAEs as references.
  const long long k = rows.front().k;
  long long s = rows.front().s;
  for (const auto& r : rows) s = std::min(s, r.s);
  std::map<std::string, std::ostringstream> series;
  std::set<double> ratios;
  for (const auto& r : rows) {
    if (r.k != k || r.s != s) continue;
    series[r.scheme + "_" + r.layout + "_" + r.kind] << r.redundancy() << ' ' << r.coded_vs_truth << ' '
                                                     << r.coded_vs_model << '\n';
    ratios.insert(r.redundancy());
  }
  for (const auto& [name, text] : series) open(out / "plot_data" / (name + ".dat")) << text.str();
  {
    auto f = open(out / "plot_data" / "reference.dat");
    for (double ratio : ratios) f << ratio << ' ' << m.ridge_mae << ' ' << m.model_mae << ' ' << m.ridge_vs_model_mae << '\n';
  }
  {
    auto gp = open(out / "plot_data" / "plots.gp");
    gp << "# Made by nercc_related_queries_experiment; run from the output directory: gnuplot plot_data/plots.gp\n"
       << "set terminal pngcairo size 1300,520 font ',10'\nset output 'related_queries.png'\n"
       << "set multiplot layout 1,2 title 'Seattle next-day temperature forecasts, K = " << k << ", S = " << s
       << ": MAE of the queries whose exact answer was lost'\n"
       << "set xlabel 'redundancy N/K'\nset grid\nset key outside bottom center horizontal maxrows 4\n";
    // One colour per code, solid for related groups and dashed for unrelated ones.
    std::map<std::string, int> colour;
    for (const auto& entry : series) {
      const std::string code = entry.first.substr(0, entry.first.rfind('_'));
      colour.emplace(code, int(colour.size()) + 1);
    }
    auto plot = [&](int column, const char* title, bool log_y, const std::string& references) {
      gp << (log_y ? "set logscale y\n" : "unset logscale y\n") << "set title '" << title
         << "'\nset ylabel 'MAE (deg C)'\nplot ";
      for (const auto& [name, text] : series) {
        std::string label = name;
        for (auto& c : label)
          if (c == '_') c = ' ';
        const bool unrelated = name.find("unrelated") != std::string::npos;
        gp << "'plot_data/" << name << ".dat' using 1:" << column << " with linespoints lw 2 lc "
           << colour[name.substr(0, name.rfind('_'))] << (unrelated ? " dt 2 pt 6" : " dt 1 pt 7") << " title '"
           << label << "', \\\n     ";
      }
      gp << references << "\n";
    };
    plot(2, "coded estimate against the observed temperature", false,
         "'plot_data/reference.dat' using 1:2 with lines lw 3 lc 'black' title 'ridge fallback (test set)', \\\n"
         "     'plot_data/reference.dat' using 1:3 with lines lw 3 lc 'gray' title 'the model itself (test set)'");
    plot(3, "coded estimate against the model output", true,
         "'plot_data/reference.dat' using 1:4 with lines lw 3 lc 'black' title 'ridge fallback (test set)'");
    gp << "unset multiplot\n";
  }
  const std::string command = "cd '" + out.string() + "' && gnuplot plot_data/plots.gp";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("gnuplot failed (install Debian's gnuplot-nox, or pass --no-plots): " + command);
}

}  // namespace nercc_examples
