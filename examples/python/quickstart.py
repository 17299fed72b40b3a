#!/usr/bin/env python3
"""The quick start of the README (examples/quickstart.cpp) in Python: 10 queries coded for 20
workers, 4 workers straggle, and the decoded predictions are compared with the model's."""
import numpy as np

import nercc


def coded_mse(scheme, p, x, w):
    model = lambda inputs: np.tanh(inputs @ w)  # noqa: E731  (the "model")
    encoder = nercc.Encoder(scheme, p, np.float32)
    decoder = nercc.Decoder(scheme, p, np.float32)
    coded = encoder.encode(x)                                   # 20 coded queries, one per worker
    answers = model(coded)                                      # what the workers compute
    answered = [w for w in range(p.num_workers) if w not in (3, 8, 12, 17)]  # workers 3, 8, 12, 17 straggle
    r = decoder.decode(answered, answers[answered])
    return float(np.mean((r.values - model(x)) ** 2))


def main():
    p = nercc.CodeParams(num_queries=10, num_workers=20)  # K queries per group, N workers
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (10, 64)).astype(np.float32)      # the queries
    w = (rng.uniform(-1, 1, (64, 8)) / 8).astype(np.float32)  # the "model"
    print(f"MSE with 4 of 20 workers straggling: NeRCC {coded_mse('spline', p, x, w):.3g}, "
          f"Berrut (BACC) {coded_mse('berrut', p, x, w):.3g}")


if __name__ == "__main__":
    main()
