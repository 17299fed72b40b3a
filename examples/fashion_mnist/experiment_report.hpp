// The outputs of nercc_fashion_mnist_experiment: results.csv (written, and read back for
// --merge), results.md, the gnuplot data and script, and the checks of the --require-* options.
// Every table iterates over variants().
#pragma once

#include "experiment_options.hpp"
#include "models.hpp"
#include "variants.hpp"

#include <nercc/index.hpp>
#include <nercc/tune/sampling.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_examples {

// How replication and uncoded use the same N workers as the coded schemes (also in results.md).
inline const char* const worker_count_note =
    "All schemes use the same N workers, each computing one model evaluation per group, and the "
    "same S random stragglers among them. NeRCC and Berrut send N coded queries for K queries. "
    "Replication sends query n mod K to worker n (N/K replicas each); a query is lost when all "
    "its replicas straggle. Uncoded serves N/K independent groups of K queries, one query per "
    "worker, with no redundancy (N/K times the throughput of the others); the batch's K queries "
    "sit on K of the N workers, so a straggler among those loses its query. Replicated and "
    "uncoded answers are exact, so their MSE (over the queries that have an answer) is 0; a lost "
    "query counts as a disagreement in RelAcc.";

/// The 95% confidence half-width of a mean: 1.96 standard errors.
inline double ci95(const nercc::MetricEstimate& e) { return 1.96 * e.std_error; }

struct Row {
  std::string model;
  Index n = 0, k = 0, s = 0;
  std::size_t variant = 0;  ///< position in variants()
  double lambda_enc = std::nan(""), lambda_dec = std::nan("");
  double worker_spread = std::nan("");  ///< tuned spread of the clustered worker points
  Index trials = 0;
  nercc::MetricEstimate mse, relacc;
  double available = 0;
  double encode_us = std::nan("");  ///< mean wall time of encoding one batch, ordering included
};

inline std::string num(double v, int precision = 4) {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

inline void write_csv(const std::filesystem::path& file, const std::vector<Row>& rows) {
  std::ofstream f(file);
  f << "model,N,K,S,scheme,lambda_enc,lambda_dec,trials,mse_mean,mse_ci95,mse_min,mse_max,mse_trials,"
       "relacc_mean,relacc_ci95,relacc_min,relacc_max,available_mean,encode_us_mean,worker_spread\n";
  for (const Row& r : rows)
    f << r.model << ',' << r.n << ',' << r.k << ',' << r.s << ',' << variants()[r.variant].name << ','
      << num(r.lambda_enc) << ',' << num(r.lambda_dec) << ',' << r.trials << ',' << num(r.mse.mean, 6) << ','
      << num(ci95(r.mse)) << ',' << num(r.mse.min) << ',' << num(r.mse.max) << ',' << r.mse.trials << ','
      << num(r.relacc.mean, 6) << ',' << num(ci95(r.relacc)) << ',' << num(r.relacc.min) << ','
      << num(r.relacc.max) << ',' << num(r.available, 6) << ',' << num(r.encode_us) << ','
      << num(r.worker_spread) << '\n';
  if (!f) throw std::runtime_error("cannot write " + file.string());
}

// The rows of a results.csv written by write_csv (empty fields are NaN).
inline std::vector<Row> read_csv(const std::filesystem::path& file) {
  std::ifstream f(file);
  if (!f) throw std::runtime_error("cannot read " + file.string());
  std::string line;
  std::getline(f, line);
  if (line.rfind("model,N,K,S,scheme,", 0) != 0) throw std::runtime_error(file.string() + " is not a results.csv");
  std::vector<Row> rows;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    std::vector<std::string> v = split_list(line, ',');
    if (line.back() == ',') v.emplace_back();
    if (v.size() != 20) throw std::runtime_error(file.string() + ": a row has " + std::to_string(v.size()) + " fields, expected 20");
    auto real = [](const std::string& x) { return x.empty() ? std::nan("") : std::stod(x); };
    auto integer = [](const std::string& x) { return Index(std::stoll(x)); };
    Row r;
    r.model = v[0];
    r.n = integer(v[1]), r.k = integer(v[2]), r.s = integer(v[3]);
    try {
      r.variant = variant_index(v[4]);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(file.string() + ": " + e.what());
    }
    r.lambda_enc = real(v[5]), r.lambda_dec = real(v[6]);
    r.trials = integer(v[7]);
    r.mse = nercc::MetricEstimate{real(v[8]), real(v[9]) / 1.96, real(v[10]), real(v[11]), integer(v[12])};
    r.relacc = nercc::MetricEstimate{real(v[13]), real(v[14]) / 1.96, real(v[15]), real(v[16]), r.trials};
    r.available = real(v[17]);
    r.encode_us = real(v[18]);
    r.worker_spread = real(v[19]);
    rows.push_back(r);
  }
  return rows;
}

using Group = std::map<Index, std::vector<const Row*>>;  // S -> rows by position in variants()

// Rows of one (model, shape), keyed by S.
inline Group group_of(const std::vector<Row>& rows, const std::string& model, Shape shape) {
  Group g;
  for (const Row& r : rows)
    if (r.model == model && r.n == shape.n && r.k == shape.k) {
      auto& v = g[r.s];
      v.resize(variants().size(), nullptr);
      v[r.variant] = &r;
    }
  return g;
}

// The row of the variant called `name` among the rows of one S.
inline const Row& row_of(const std::vector<const Row*>& rows, const char* name) {
  const Row* r = rows[variant_index(name)];
  if (r == nullptr) throw std::runtime_error(std::string("no results for scheme ") + name);
  return *r;
}

// The coded variants of the ordering table: all but the baseline.
inline bool in_ordering_table(const Variant& v) { return is_coded(v) && v.role != Role::baseline; }

inline std::string plot_stem(const std::string& model, Shape shape) {
  return model + "_N" + std::to_string(shape.n) + "_K" + std::to_string(shape.k);
}

// Per S: MSE / RelAcc of every coded scheme, the best ordered NeRCC's MSE over Berrut's, and the
// mean encode time per batch (ordering included) under the table.
inline void write_ordering_table(std::ofstream& f, const Group& g) {
  f << "\nQuery ordering and point placement (each cell: MSE / RelAcc; best ratio: the lowest MSE of the "
       "NeRCC ordering and placement variants over Berrut's MSE; clustered worker points: "
       "nercc::clustered_worker_points with the spread tuned on training images):\n\n| S |";
  const auto& table = variants();
  std::vector<std::size_t> columns;
  for (std::size_t c = 0; c < table.size(); ++c)
    if (in_ordering_table(table[c])) columns.push_back(c);
  for (std::size_t c : columns) f << ' ' << table[c].title << " |";
  f << " best ratio |\n|---|";
  for (std::size_t i = 0; i < columns.size(); ++i) f << "---|";
  f << "---|\n";
  std::vector<double> encode_us(table.size(), 0.0);
  for (const auto& [s, v] : g) {
    f << "| " << s << " |";
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t c : columns) {
      const Row& r = *v[c];
      f << ' ' << num(r.mse.mean) << " / " << num(r.relacc.mean);
      if (!std::isnan(r.worker_spread)) f << " (spread " << num(r.worker_spread, 2) << ")";
      f << " |";
      if (table[c].role == Role::variant && nercc::scheme_facts(table[c].scheme).has_lambdas)
        best = std::min(best, r.mse.mean);
      encode_us[c] += r.encode_us / double(g.size());
    }
    f << ' ' << num(best / row_of(v, "berrut").mse.mean, 3) << " |\n";
  }
  f << "\nEncode time per batch (microseconds, mean over S; ordering included, wall time of one thread):";
  for (std::size_t i = 0; i < columns.size(); ++i)
    f << (i ? "; " : " ") << table[columns[i]].title << " " << num(encode_us[columns[i]], 3);
  f << ".\n";
}

inline void write_markdown(const std::filesystem::path& file, const Options& o, const std::vector<Row>& rows,
                    const std::map<std::string, std::string>& model_notes) {
  std::ofstream f(file);
  f << "# Fashion-MNIST: recovering a model's predictions under stragglers\n\n"
    << "Generated by `nercc_fashion_mnist_experiment`" << (o.smoke ? " (smoke configuration)" : "") << ": "
    << o.trials << " trials per row (a random batch of K test images and a random set of N - S "
    << "answering workers, the same for every scheme), seed " << o.seed << ". NeRCC's lambdas are tuned "
    << "per (N, K, S) with `nercc::tune_lambdas` on " << o.tune_batches << " x " << o.tune_sets
    << " (batch, answered set) samples of training images; lambdas use SciPy's sum convention.\n\n"
    << "MSE: mean squared error of the decoded logits against the uncoded model's logits (mean over "
    << "queries and the 10 logits). RelAcc: fraction of queries whose decoded argmax equals the uncoded "
    << "model's argmax. `±` is a 95% confidence half-width over the trials. Ratio: NeRCC (tuned) MSE / "
    << "Berrut MSE.\n\n"
    << worker_count_note << "\n\n";
  for (const auto& note : model_notes) f << "- " << note.first << ": " << note.second << "\n";
  for (const auto model : o.models) {
    const std::string name = to_string(model);
    for (const Shape shape : o.shapes) {
      const Group g = group_of(rows, name, shape);
      if (g.empty()) continue;
      f << "\n## " << name << ", N = " << shape.n << ", K = " << shape.k << "\n\n"
        << "![RelAcc](" << plot_stem(name, shape) << "_relacc.png) ![MSE](" << plot_stem(name, shape)
        << "_mse.png)\n\n"
        << "| S | NeRCC tuned MSE | RelAcc | lambda_enc | lambda_dec | NeRCC lambda=0 MSE | RelAcc | Berrut MSE | "
           "RelAcc | ratio | replication RelAcc | uncoded RelAcc |\n"
        << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
      for (const auto& [s, v] : g) {
        const Row &t = row_of(v, "nercc_tuned"), &z = row_of(v, "nercc_lambda0"), &b = row_of(v, "berrut");
        f << "| " << s << " | " << num(t.mse.mean) << " ± " << num(ci95(t.mse), 2) << " | " << num(t.relacc.mean)
          << " | " << num(t.lambda_enc, 3) << " | " << num(t.lambda_dec, 3) << " | " << num(z.mse.mean) << " ± "
          << num(ci95(z.mse), 2) << " | " << num(z.relacc.mean) << " | " << num(b.mse.mean) << " ± "
          << num(ci95(b.mse), 2) << " | " << num(b.relacc.mean) << " | " << num(t.mse.mean / b.mse.mean, 3) << " | "
          << num(row_of(v, "replication").relacc.mean) << " | " << num(row_of(v, "uncoded").relacc.mean) << " |\n";
      }
      if (o.orderings) write_ordering_table(f, g);
    }
  }
  if (!f) throw std::runtime_error("cannot write " + file.string());
}

// One data file per (model, shape) and one gnuplot script for all plots, under plot_data/.
inline void write_plots(const std::filesystem::path& out, const Options& o, const std::vector<Row>& rows) {
  const std::filesystem::path data_dir = out / "plot_data";
  std::filesystem::create_directories(data_dir);
  std::ofstream gp(data_dir / "plots.gp");
  gp << "# Made by nercc_fashion_mnist_experiment; run from the output directory: gnuplot plot_data/plots.gp\n"
     << "set terminal pngcairo size 960,720 noenhanced\nset datafile missing '?'\nset key outside below\n"
     << "set grid\nset xlabel 'stragglers S'\n";
  for (const auto model : o.models) {
    const std::string name = to_string(model);
    for (const Shape shape : o.shapes) {
      const Group g = group_of(rows, name, shape);
      if (g.empty()) continue;
      const std::string stem = plot_stem(name, shape);
      std::ofstream dat(data_dir / (stem + ".dat"));
      const auto& table = variants();
      std::vector<std::size_t> shown;
      for (std::size_t c = 0; c < table.size(); ++c)
        if (active(o, table[c])) shown.push_back(c);
      dat << "# S, then per scheme (";
      for (std::size_t i = 0; i < shown.size(); ++i) dat << (i ? " " : "") << table[shown[i]].name;
      dat << "): mse_mean mse_ci95 relacc_mean relacc_ci95\n";
      for (const auto& [s, v] : g) {
        dat << s;
        for (std::size_t c : shown) {
          const Row& r = *v[c];
          auto cell = [](double x) { return std::isnan(x) ? std::string("?") : num(x, 8); };
          dat << ' ' << cell(r.mse.mean) << ' ' << cell(ci95(r.mse)) << ' ' << cell(r.relacc.mean) << ' '
              << cell(ci95(r.relacc));
        }
        dat << '\n';
      }
      const std::string title = name + ", N = " + std::to_string(shape.n) + ", K = " + std::to_string(shape.k);
      const std::string src = "'plot_data/" + stem + ".dat'";
      gp << "\nset output '" << stem << "_mse.png'\nset logscale y\nset ylabel 'MSE vs uncoded logits'\n"
         << "set title '" << title << ": MSE (replication, uncoded: exact, not shown)'\nplot ";
      for (std::size_t i = 0; i < shown.size(); ++i)
        if (is_coded(table[shown[i]]))
          gp << (i ? ", " : "") << src << " using 1:" << 2 + 4 * i << ":" << 3 + 4 * i << " with yerrorlines title '"
             << table[shown[i]].title << "'";
      gp << "\nunset logscale y\nset output '" << stem << "_relacc.png'\nset ylabel 'RelAcc (argmax agreement)'\n"
         << "set title '" << title << ": RelAcc'\nplot ";
      for (std::size_t i = 0; i < shown.size(); ++i)
        gp << (i ? ", " : "") << src << " using 1:" << 4 + 4 * i << ":" << 5 + 4 * i << " with yerrorlines title '"
           << table[shown[i]].title << "'";
      gp << "\n";
    }
  }
  gp.close();
  const std::string command = "cd '" + out.string() + "' && gnuplot plot_data/plots.gp";
  if (std::system(command.c_str()) != 0)
    throw std::runtime_error("gnuplot failed (install Debian's gnuplot, or pass --no-plots): " + command);
}

// For every model and shape, scheme `better`'s metric averaged over the S evaluated must beat
// scheme `worse`'s: a lower MSE, or (rel_acc) a RelAcc at least as high. One S alone is noisy with
// the few trials of the smoke configuration.
inline bool averaged_better(const Options& o, const std::vector<Row>& rows, const char* better, const char* worse,
                     bool rel_acc) {
  const char* const metric = rel_acc ? "RelAcc" : "MSE";
  bool ok = true;
  for (const auto model : o.models)
    for (const Shape shape : o.shapes) {
      double better_mean = 0, worse_mean = 0;
      const Group g = group_of(rows, to_string(model), shape);
      for (const auto& [s, v] : g) {
        const Row &b = row_of(v, better), &w = row_of(v, worse);
        better_mean += (rel_acc ? b.relacc.mean : b.mse.mean) / double(g.size());
        worse_mean += (rel_acc ? w.relacc.mean : w.mse.mean) / double(g.size());
      }
      std::printf("%s N=%lld K=%lld: mean %s over S: %s %g, %s %g\n", to_string(model).c_str(),
                  static_cast<long long>(shape.n), static_cast<long long>(shape.k), metric, better, better_mean,
                  worse, worse_mean);
      if (!(rel_acc ? better_mean >= worse_mean : better_mean < worse_mean)) ok = false;
    }
  if (!ok)
    std::fprintf(stderr, "nercc_fashion_mnist_experiment: %s's %s is not %s %s's\n", better, metric,
                 rel_acc ? "at least" : "below", worse);
  return ok;
}

}  // namespace nercc_examples
