// nercc's encode and decode on inputs written by compare_reference.py, so the script can check
// that NumPy/SciPy and nercc give the same numbers. Files are raw little-endian arrays:
//   reference_io <spline|berrut> N K lambda_enc lambda_dec d dir
// reads dir/x.bin (K x d float64), dir/ids.bin (int64, any order), dir/y.bin (|ids| x m
// float64); writes dir/coded.bin (N x d) and dir/decoded.bin (K x m), both float64.
#include <nercc/nercc.hpp>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace {

template <class T>
std::vector<T> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot read " + path);
  const auto bytes = static_cast<std::size_t>(in.tellg());
  std::vector<T> v(bytes / sizeof(T));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
  return v;
}

void write_all(const std::string& path, const nercc::RowMatrix<double>& m) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(m.data()), static_cast<std::streamsize>(m.size() * Eigen::Index(sizeof(double))));
  if (!out) throw std::runtime_error("cannot write " + path);
}

template <class Scheme>
void run(const nercc::CodeParams& p, nercc::Index d, const std::string& dir) {
  using Map = Eigen::Map<const nercc::RowMatrix<double>>;
  const std::vector<double> x = read_all<double>(dir + "/x.bin");
  const std::vector<std::int64_t> ids = read_all<std::int64_t>(dir + "/ids.bin");
  const std::vector<double> y = read_all<double>(dir + "/y.bin");
  const auto f = nercc::Index(ids.size());
  const nercc::Encoder<Scheme, double> enc(p);
  write_all(dir + "/coded.bin", enc.encode(Map(x.data(), p.num_queries, d)));
  const nercc::Decoder<Scheme, double> dec(p);
  write_all(dir + "/decoded.bin", dec.decode(ids, Map(y.data(), f, nercc::Index(y.size()) / f)).values);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) {
    std::cerr << "usage: " << argv[0] << " <spline|berrut> N K lambda_enc lambda_dec d dir\n";
    return 2;
  }
  try {
    nercc::CodeParams p;
    p.num_workers = std::stol(argv[2]);
    p.num_queries = std::stol(argv[3]);
    p.lambda_enc = std::stod(argv[4]);
    p.lambda_dec = std::stod(argv[5]);
    const nercc::Index d = std::stol(argv[6]);
    const std::string scheme = argv[1];
    if (scheme == "spline") run<nercc::SplineScheme>(p, d, argv[7]);
    else if (scheme == "berrut") run<nercc::BerrutScheme>(p, d, argv[7]);
    else throw std::runtime_error("unknown scheme " + scheme);
  } catch (const std::exception& e) {
    std::cerr << "reference_io: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
