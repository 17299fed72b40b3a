// The reports' number formatting and file writing.
#pragma once

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace nercc_cluster {

/// v with `digits` decimals; "n/a" for NaN.
inline std::string fixed(double v, int digits) {
  if (std::isnan(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// v for JSON: null when not finite.
inline std::string json_number(double v) {
  if (std::isnan(v) || std::isinf(v)) return "null";
  std::ostringstream o;
  o.precision(6);
  o << v;
  return o.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace nercc_cluster
