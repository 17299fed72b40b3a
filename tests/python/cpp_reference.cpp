// The C++ API's results on inputs written by test_bitwise.py, which compares them bit for bit
// with the Python binding's. Files are raw native-endian arrays in <dir>:
//   nercc_python_cpp_reference <scheme> <float32|float64> K N lambda_enc lambda_dec spread d m <dir>
// reads x.bin (K x d), ids.bin (int64), y.bin (|ids| x m); writes coded.bin (N x d), E.bin
// (N x K), values.bin (K x m), D.bin (K x |ids|), provenance.bin (int32, K), reliability.bin
// (float64, K), status.txt. spread > 0 uses systematic_params(K, N, spread).
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
  std::vector<T> v(static_cast<std::size_t>(in.tellg()) / sizeof(T));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(T)));
  return v;
}

template <class T>
void write_all(const std::string& path, const T* data, std::size_t n) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(n * sizeof(T)));
}

template <class Scheme, class S>
void run(const nercc::CodeParams& p, nercc::Index d, nercc::Index m, const std::string& dir) {
  const std::vector<S> x = read_all<S>(dir + "/x.bin"), y = read_all<S>(dir + "/y.bin");
  const std::vector<std::int64_t> ids64 = read_all<std::int64_t>(dir + "/ids.bin");
  const std::vector<nercc::Index> ids(ids64.begin(), ids64.end());
  const nercc::Encoder<Scheme, S> enc(p);
  const nercc::Decoder<Scheme, S> dec(p);
  const nercc::RowMatrix<S> coded =
      enc.encode(Eigen::Map<const nercc::RowMatrix<S>>(x.data(), p.num_queries, d));
  write_all(dir + "/coded.bin", coded.data(), std::size_t(coded.size()));
  write_all(dir + "/E.bin", enc.encoding_matrix().data(), std::size_t(enc.encoding_matrix().size()));
  const nercc::DecodeResult<S> r =
      dec.decode(ids, Eigen::Map<const nercc::RowMatrix<S>>(y.data(), nercc::Index(ids.size()), m));
  write_all(dir + "/values.bin", r.values.data(), std::size_t(r.values.size()));
  const nercc::RowMatrix<S> dm = dec.decoding_matrix(ids);
  write_all(dir + "/D.bin", dm.data(), std::size_t(dm.size()));
  std::vector<std::int32_t> prov;
  for (nercc::QueryProvenance q : r.provenance) prov.push_back(std::int32_t(q));
  write_all(dir + "/provenance.bin", prov.data(), prov.size());
  write_all(dir + "/reliability.bin", r.reliability.data(), r.reliability.size());
  std::ofstream(dir + "/status.txt") << nercc::to_string(r.status) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 11) {
    std::cerr << "usage: " << argv[0] << " scheme float32|float64 K N lambda_enc lambda_dec spread d m dir\n";
    return 2;
  }
  try {
    const std::string scheme = argv[1], dtype = argv[2];
    const nercc::Index k = std::atol(argv[3]), n = std::atol(argv[4]);
    const double spread = std::atof(argv[7]);
    nercc::CodeParams p = spread > 0 ? nercc::systematic_params(k, n, spread) : nercc::CodeParams{};
    p.num_queries = k;
    p.num_workers = n;
    p.lambda_enc = std::atof(argv[5]);
    p.lambda_dec = std::atof(argv[6]);
    const nercc::Index d = std::atol(argv[8]), m = std::atol(argv[9]);
    nercc::SchemeKind kind = nercc::SchemeKind::spline;
    for (nercc::SchemeKind s : nercc::all_schemes)
      if (scheme == nercc::to_string(s)) kind = s;
    nercc::visit_scheme(kind, [&](auto tag) {
      if (dtype == "float32") run<decltype(tag), float>(p, d, m, argv[10]);
      else run<decltype(tag), double>(p, d, m, argv[10]);
    });
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}
