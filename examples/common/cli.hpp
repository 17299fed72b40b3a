// Command-line number parsing shared by the examples; not part of the library.
#pragma once

#include <cstdio>
#include <exception>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace nercc_examples {

/// The parts of `text` between the separators (a list flag's value, e.g. "a,b,c").
inline std::vector<std::string> split_list(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);) parts.push_back(part);
  return parts;
}

/// The whole of `text` as a long long or double; throws std::invalid_argument naming `flag`.
template <class T>
T parse_number(const std::string& flag, const std::string& text) {
  static_assert(std::is_same<T, long long>::value || std::is_same<T, double>::value, "long long or double");
  std::size_t used = 0;
  T v = 0;
  try {
    if constexpr (std::is_same<T, double>::value) v = std::stod(text, &used);
    else v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size())
    throw std::invalid_argument(flag + " expects " + (std::is_same<T, double>::value ? "a number" : "an integer") +
                                ", got \"" + text + "\"");
  return v;
}

/// An integer of at least `min`.
inline long long parse_integer(const std::string& flag, const std::string& text,
                               long long min = std::numeric_limits<long long>::min()) {
  const long long v = parse_number<long long>(flag, text);
  if (v < min) throw std::invalid_argument(flag + " (" + text + ") must be >= " + std::to_string(min));
  return v;
}

inline double parse_real(const std::string& flag, const std::string& text) { return parse_number<double>(flag, text); }

/// main() of an example program: exit code 2 when parse(argc, argv) throws (bad usage), 1 when
/// run(args) throws, else what run returns.
template <class Parse, class Run>
int run_main(const char* program, const char* usage, int argc, char** argv, Parse parse, Run run) {
  decltype(parse(argc, argv)) args;
  try {
    args = parse(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n%s", program, e.what(), usage);
    return 2;
  }
  try {
    return run(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
    return 1;
  }
}

}  // namespace nercc_examples
