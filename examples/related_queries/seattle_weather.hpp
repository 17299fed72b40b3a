// Reader for the daily Seattle weather observations (NOAA, 2012-2015, public domain) that
// Debian's python3-vega-datasets ships as a CSV file. Shared by the related-query examples; not
// part of the library. Standard library only.
#pragma once

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_examples {

/// Where Debian's python3-vega-datasets installs the file.
inline const char* const seattle_weather_default_path =
    "/usr/lib/python3/dist-packages/vega_datasets/_data/seattle-weather.csv";

/// One day of observations.
struct WeatherDay {
  int year = 0, month = 0, day = 0;
  std::int64_t days_since_epoch = 0;  ///< days since 1970-01-01 (proleptic Gregorian)
  int day_of_year = 0;                ///< 1..366
  double precipitation = 0;           ///< mm
  double temp_max = 0, temp_min = 0;  ///< degrees Celsius
  double wind = 0;                    ///< m/s
};

namespace detail {
inline bool is_leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
inline int days_in_month(int y, int m) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return days[m - 1] + (m == 2 && is_leap_year(y) ? 1 : 0);
}
// Days from 1970-01-01 to y-m-d (y >= 1970, a valid date).
inline std::int64_t days_since_1970(int y, int m, int d) {
  std::int64_t n = 0;
  for (int year = 1970; year < y; ++year) n += is_leap_year(year) ? 366 : 365;
  for (int month = 1; month < m; ++month) n += days_in_month(y, month);
  return n + d - 1;
}

inline double parse_field(const std::string& text, const std::string& where, const char* field) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || !std::isfinite(v))
    throw std::runtime_error(where + ": " + field + " \"" + text + "\" is not a finite number");
  return v;
}
}  // namespace detail

/// Reads the CSV (header "date,precipitation,temp_max,temp_min,wind,weather", dates yyyy/mm/dd).
/// The days must follow each other without a gap: the forecasting windows assume one row per day.
/// Throws std::runtime_error naming the file, the line and the field; a missing file names the
/// Debian package to install.
inline std::vector<WeatherDay> load_seattle_weather(const std::string& path = seattle_weather_default_path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot open " + path + " (Debian's python3-vega-datasets installs the data at " +
                             seattle_weather_default_path + ": apt-get install python3-vega-datasets)");
  std::string line;
  if (!std::getline(in, line) || line.rfind("date,precipitation,temp_max,temp_min,wind", 0) != 0)
    throw std::runtime_error(path + ": line 1 is not the header date,precipitation,temp_max,temp_min,wind,weather");
  std::vector<WeatherDay> days;
  for (int number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::string where = path + ":" + std::to_string(number);
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string part; std::getline(fields, part, ',');) f.push_back(part);
    if (f.size() < 5) throw std::runtime_error(where + ": expected 6 comma-separated fields, got " + std::to_string(f.size()));
    WeatherDay d;
    char s1 = 0, s2 = 0;
    std::istringstream date(f[0]);
    if (!(date >> d.year >> s1 >> d.month >> s2 >> d.day) || s1 != '/' || s2 != '/' || d.year < 1970 || d.year > 9999 ||
        d.month < 1 || d.month > 12 || d.day < 1 || d.day > detail::days_in_month(d.year, d.month))
      throw std::runtime_error(where + ": date \"" + f[0] + "\" is not yyyy/mm/dd");
    d.days_since_epoch = detail::days_since_1970(d.year, d.month, d.day);
    d.day_of_year = int(d.days_since_epoch - detail::days_since_1970(d.year, 1, 1)) + 1;
    d.precipitation = detail::parse_field(f[1], where, "precipitation");
    d.temp_max = detail::parse_field(f[2], where, "temp_max");
    d.temp_min = detail::parse_field(f[3], where, "temp_min");
    d.wind = detail::parse_field(f[4], where, "wind");
    if (!days.empty() && d.days_since_epoch != days.back().days_since_epoch + 1)
      throw std::runtime_error(where + ": date " + f[0] + " does not follow the previous row's by one day");
    days.push_back(d);
  }
  if (days.empty()) throw std::runtime_error(path + " holds no data rows");
  return days;
}

}  // namespace nercc_examples
