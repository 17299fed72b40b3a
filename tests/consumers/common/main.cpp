// Shared by the three consumer projects: encode, drop two workers, decode, check.
#include <nercc/nercc.hpp>
#ifdef NERCC_CONSUMER_XTENSOR
#include <nercc/xtensor.hpp>
#endif

#include <cstdio>
#include <vector>

int main() {
  nercc::CodeParams p;
  p.num_queries = 4;
  p.num_workers = 8;
  const nercc::Encoder<nercc::SplineScheme, double> enc(p);
  const nercc::Decoder<nercc::SplineScheme, double> dec(p);
  nercc::RowMatrix<double> x(4, 2);
  x << 1, 2, 3, 4, 5, 6, 7, 8;
  const nercc::RowMatrix<double> coded = enc.encode(x);
  const std::vector<nercc::Index> ids{0, 2, 3, 4, 6, 7};
  nercc::RowMatrix<double> answers(6, 2);
  for (int j = 0; j < 6; ++j) answers.row(j) = coded.row(ids[std::size_t(j)]);
  const auto r = dec.decode(ids, answers);
#ifdef NERCC_CONSUMER_XTENSOR
  xt::xtensor<double, 2> xx({4, 2});
  std::copy(x.data(), x.data() + 8, xx.begin());
  if (nercc::encode(enc, xx).shape()[0] != 8) return 1;
#endif
  if (!r.ok() || !r.values.allFinite()) return 1;
  std::printf("nercc consumer ok (status %s)\n", nercc::to_string(r.status));
  return 0;
}
