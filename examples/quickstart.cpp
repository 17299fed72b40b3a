// nercc quick start: 10 queries coded for 20 workers, 4 stragglers, recovered by NeRCC and BACC.
#include <nercc/nercc.hpp>

#include <cstdio>
#include <vector>

template <class Scheme>
double coded_mse(const nercc::CodeParams& p, const nercc::RowMatrix<float>& X, const nercc::RowMatrix<float>& W) {
  const auto model = [&](const nercc::RowMatrix<float>& in) { return nercc::RowMatrix<float>((in * W).array().tanh()); };
  const nercc::Encoder<Scheme, float> encoder(p);
  const nercc::Decoder<Scheme, float> decoder(p);
  const nercc::RowMatrix<float> coded = encoder.encode(X);   // 20 coded queries, one per worker
  const nercc::RowMatrix<float> answers = model(coded);      // what the workers compute
  std::vector<nercc::Index> answered;                        // workers 3, 8, 12, 17 straggle
  for (nercc::Index w = 0; w < p.num_workers; ++w)
    if (w != 3 && w != 8 && w != 12 && w != 17) answered.push_back(w);
  nercc::RowMatrix<float> received(nercc::Index(answered.size()), answers.cols());
  for (std::size_t j = 0; j < answered.size(); ++j) received.row(nercc::Index(j)) = answers.row(answered[j]);
  const nercc::DecodeResult<float> r = decoder.decode(answered, received);
  return double((r.values - model(X)).squaredNorm()) / double(r.values.size());
}

int main() {
  nercc::CodeParams p;
  p.num_queries = 10;  // K queries per group
  p.num_workers = 20;  // N workers
  const nercc::RowMatrix<float> X = nercc::RowMatrix<float>::Random(10, 64);      // the queries
  const nercc::RowMatrix<float> W = nercc::RowMatrix<float>::Random(64, 8) / 8;   // the "model"
  std::printf("MSE with 4 of 20 workers straggling: NeRCC %.3g, Berrut (BACC) %.3g\n",
              coded_mse<nercc::SplineScheme>(p, X, W), coded_mse<nercc::BerrutScheme>(p, X, W));
}
