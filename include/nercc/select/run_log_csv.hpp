// The run log as CSV (RFC 4180 quoting, one record per line). Standard library only.
//
// Columns, in this order when written (read in any order; each named once):
//   task, scheme, num_queries, num_workers, ordering, worker_spread, lambda_enc, lambda_dec,
//   quorum, deadline_level, early_release, fallback, hedge_level        the Configuration
//   encode_seconds, decode_seconds, straggler_law, latency_seconds, cost, model_evaluations
//   latency_quantile       optional when read (absent: NaN), as logs before it have none
//   task.<name> ...        one per task feature (RunLog::task_feature_names)
//   env.<name> ...         one per environment feature
//   mse_s<s>, rel_acc_s<s>, latency_s<s>   one triple per straggler count s = 0 ..
//                          RunLog::straggler_counts() - 1 (latency_s<s> optional when read)
// Numbers are written with 17 significant digits, so a log reads back exactly; NaN is an empty
// cell (outcome columns only). Reading drops the trailing NaNs of each record's mse, rel_acc and
// latency.
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/index.hpp>
#include <nercc/select/configuration.hpp>
#include <nercc/select/run_log.hpp>

#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <istream>
#include <limits>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace select {

namespace detail {

inline const char* const run_log_fixed_columns[] = {
    "task",           "scheme",         "num_queries",   "num_workers",     "ordering",    "worker_spread",
    "lambda_enc",     "lambda_dec",     "quorum",        "deadline_level",  "early_release", "fallback",
    "hedge_level",    "encode_seconds", "decode_seconds", "straggler_law",  "latency_seconds", "cost",
    "model_evaluations"};

/// Columns written always but optional when read (added after the first logs).
inline const char* const run_log_optional_columns[] = {"latency_quantile"};

inline std::string csv_quote(const std::string& field) {
  if (field.find_first_of("\n\r") != std::string::npos)
    throw invalid_argument(nercc::detail::message("run log field '", field, "' holds a line break"));
  if (field.find_first_of(",\"") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

inline std::string csv_number(double v) {
  if (std::isnan(v)) return "";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

/// The fields of one line; `line` names it in errors.
inline std::vector<std::string> csv_split(const std::string& text, std::size_t line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') fields.back() += c;
      else if (i + 1 < text.size() && text[i + 1] == '"') fields.back() += '"', ++i;
      else quoted = false;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else {
      fields.back() += c;
    }
  }
  if (quoted) throw invalid_argument(nercc::detail::message("run log line ", line, ": unterminated quote"));
  return fields;
}

/// Reads the cells of one record, naming line and column in every error.
struct CsvCells {
  const std::vector<std::string>& cells;
  std::size_t line;
  const std::vector<std::string>& header;

  std::string where(std::size_t col) const { return nercc::detail::message("run log line ", line, ", column ", header[col]); }

  double number(std::size_t col, bool empty_is_nan) const {
    const std::string& s = cells[col];
    if (s.empty()) {
      if (empty_is_nan) return std::numeric_limits<double>::quiet_NaN();
      throw invalid_argument(where(col) + ": empty, expected a number");
    }
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || errno == ERANGE)
      throw invalid_argument(where(col) + ": '" + s + "' is not a number");
    return v;
  }

  Index integer(std::size_t col) const {
    const double v = number(col, false);
    if (v != std::floor(v) || std::abs(v) > 1e15) throw invalid_argument(where(col) + ": '" + cells[col] + "' is not an integer");
    return Index(v);
  }

  bool flag(std::size_t col) const {
    if (cells[col] == "0") return false;
    if (cells[col] == "1") return true;
    throw invalid_argument(where(col) + ": '" + cells[col] + "' is not 0 or 1");
  }
};

}  // namespace detail

/// Writes `log` as CSV (header line, then one line per record). Validates the log first
/// (nercc::invalid_argument naming the record and field); throws nercc::invalid_argument for a
/// task id, law or feature name holding a line break.
inline void write_run_log_csv(std::ostream& out, const RunLog& log) {
  using detail::csv_number;
  using detail::csv_quote;
  log.validate();
  const std::size_t counts = log.straggler_counts();
  std::string header;
  for (const char* c : detail::run_log_fixed_columns) header += std::string(header.empty() ? "" : ",") + c;
  for (const char* c : detail::run_log_optional_columns) header += std::string(",") + c;
  for (const auto& n : log.task_feature_names) header += "," + csv_quote("task." + n);
  for (const auto& n : log.environment_feature_names) header += "," + csv_quote("env." + n);
  for (std::size_t s = 0; s < counts; ++s) header += nercc::detail::message(",mse_s", s, ",rel_acc_s", s, ",latency_s", s);
  out << header << '\n';
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (const RunRecord& r : log.records) {
    const Configuration& c = r.config;
    std::string line = csv_quote(r.task);
    for (const std::string& f :
         {std::string(to_string(c.scheme)), csv_number(double(c.num_queries)), csv_number(double(c.num_workers)),
          std::string(to_string(c.ordering)), csv_number(c.worker_spread), csv_number(c.lambda_enc),
          csv_number(c.lambda_dec), csv_number(double(c.quorum)), csv_number(c.deadline_level),
          std::string(c.early_release ? "1" : "0"), std::string(c.fallback ? "1" : "0"), csv_number(c.hedge_level),
          csv_number(r.encode_seconds), csv_number(r.decode_seconds), csv_quote(r.straggler_law),
          csv_number(r.latency_seconds), csv_number(r.cost), csv_number(r.model_evaluations),
          csv_number(r.latency_quantile)})
      line += "," + f;
    for (double v : r.task_features) line += "," + csv_number(v);
    for (double v : r.environment_features) line += "," + csv_number(v);
    for (std::size_t s = 0; s < counts; ++s)
      line += "," + csv_number(s < r.mse.size() ? r.mse[s] : nan) + "," + csv_number(s < r.rel_acc.size() ? r.rel_acc[s] : nan) +
              "," + csv_number(s < r.latency.size() ? r.latency[s] : nan);
    out << line << '\n';
  }
}

/// Reads a run log written by write_run_log_csv (columns in any order). Throws
/// nercc::invalid_argument naming the line and column: a missing, unknown or repeated column, a
/// line with the wrong number of cells, a cell that does not parse, a record that fails
/// validate_record (non-finite features: nercc::non_finite_input). Blank lines are skipped.
inline RunLog read_run_log_csv(std::istream& in) {
  using nercc::detail::message;
  RunLog log;
  std::string text;
  std::size_t line = 0;
  std::vector<std::string> header;
  std::map<std::string, std::size_t> fixed;               // column name -> position
  std::vector<std::size_t> task_cols, env_cols;           // positions, in order of the names
  std::vector<std::pair<std::size_t, std::size_t>> mse_cols, rel_cols, latency_cols;  // (s, position)
  auto read_line = [&]() -> bool {
    while (std::getline(in, text)) {
      ++line;
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (!text.empty()) return true;
    }
    return false;
  };
  if (!read_line()) throw invalid_argument("run log: no header line");
  header = detail::csv_split(text, line);
  auto straggler_column = [](const std::string& name, const char* prefix, std::size_t& s) {
    const std::string p = prefix;
    if (name.compare(0, p.size(), p) != 0 || name.size() == p.size()) return false;
    for (std::size_t i = p.size(); i < name.size(); ++i)
      if (name[i] < '0' || name[i] > '9') return false;
    s = std::size_t(std::stoul(name.substr(p.size())));
    return true;
  };
  std::map<std::string, std::size_t> seen;
  for (std::size_t col = 0; col < header.size(); ++col) {
    const std::string& name = header[col];
    if (!seen.emplace(name, col).second)
      throw invalid_argument(message("run log line ", line, ": column ", name, " appears twice"));
    std::size_t s = 0;
    bool known = false;
    for (const char* f : detail::run_log_fixed_columns) known = known || name == f;
    for (const char* f : detail::run_log_optional_columns) known = known || name == f;
    if (known) fixed[name] = col;
    else if (name.compare(0, 5, "task.") == 0 && name.size() > 5) {
      log.task_feature_names.push_back(name.substr(5));
      task_cols.push_back(col);
    } else if (name.compare(0, 4, "env.") == 0 && name.size() > 4) {
      log.environment_feature_names.push_back(name.substr(4));
      env_cols.push_back(col);
    } else if (straggler_column(name, "mse_s", s)) mse_cols.emplace_back(s, col);
    else if (straggler_column(name, "rel_acc_s", s)) rel_cols.emplace_back(s, col);
    else if (straggler_column(name, "latency_s", s)) latency_cols.emplace_back(s, col);
    else throw invalid_argument(message("run log line ", line, ": unknown column '", name, "'"));
  }
  for (const char* f : detail::run_log_fixed_columns)
    if (!fixed.count(f)) throw invalid_argument(message("run log line ", line, ": column ", f, " is missing"));
  while (read_line()) {
    const std::vector<std::string> cells = detail::csv_split(text, line);
    if (cells.size() != header.size())
      throw invalid_argument(message("run log line ", line, ": ", cells.size(), " cells, the header has ", header.size()));
    const detail::CsvCells c{cells, line, header};
    auto at = [&](const char* name) { return fixed.at(name); };
    RunRecord r;
    r.task = cells[at("task")];
    Configuration& g = r.config;
    g.scheme = parse_scheme(cells[at("scheme")], c.where(at("scheme")));
    g.num_queries = c.integer(at("num_queries"));
    g.num_workers = c.integer(at("num_workers"));
    g.ordering = parse_ordering(cells[at("ordering")], c.where(at("ordering")));
    g.worker_spread = c.number(at("worker_spread"), false);
    g.lambda_enc = c.number(at("lambda_enc"), false);
    g.lambda_dec = c.number(at("lambda_dec"), false);
    g.quorum = c.integer(at("quorum"));
    g.deadline_level = c.number(at("deadline_level"), false);
    g.early_release = c.flag(at("early_release"));
    g.fallback = c.flag(at("fallback"));
    g.hedge_level = c.number(at("hedge_level"), false);
    r.encode_seconds = c.number(at("encode_seconds"), true);
    r.decode_seconds = c.number(at("decode_seconds"), true);
    r.straggler_law = cells[at("straggler_law")];
    r.latency_seconds = c.number(at("latency_seconds"), true);
    r.cost = c.number(at("cost"), true);
    r.model_evaluations = c.number(at("model_evaluations"), false);
    if (fixed.count("latency_quantile")) r.latency_quantile = c.number(at("latency_quantile"), true);
    for (std::size_t col : task_cols) r.task_features.push_back(c.number(col, false));
    for (std::size_t col : env_cols) r.environment_features.push_back(c.number(col, false));
    auto outcome = [&](const std::vector<std::pair<std::size_t, std::size_t>>& cols, std::vector<double>& out) {
      for (const auto& [s, col] : cols) {
        if (out.size() <= s) out.resize(s + 1, std::numeric_limits<double>::quiet_NaN());
        out[s] = c.number(col, true);
      }
      while (!out.empty() && std::isnan(out.back())) out.pop_back();
    };
    outcome(mse_cols, r.mse);
    outcome(rel_cols, r.rel_acc);
    outcome(latency_cols, r.latency);
    validate_record(r, log.task_feature_names, log.environment_feature_names,
                    message("run log line ", line, " (task '", r.task, "')"));
    log.records.push_back(std::move(r));
  }
  return log;
}

}  // namespace select
NERCC_NAMESPACE_END
