#!/usr/bin/env python3
"""A small serving demo: a PyTorch LeNet5 (trained briefly on Fashion-MNIST) behind a pool of
worker threads with injected stragglers, served uncoded, replicated, and coded with nercc
(Berrut and NeRCC) at the same worker count, printing the table of the C++ gRPC demo.

Each group of K queries is encoded into N coded queries, one call per worker; the front end
decides as soon as its rule is met (uncoded: every worker or the deadline; replication: every
query has an answer; coded: N - S answers) and decodes. Worker calls sleep an injected delay
(2 ms + Exp(0.5 ms), x5 for 10% of the calls) and run the model on their coded query with the
GIL released (PyTorch and nercc both release it). Groups are served one after another.

Usage: serve_lenet5.py [--queries 480] [--train-steps 300] [--seed 1]
"""
import argparse
import gzip
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import nn

import nercc

DATA = "/usr/share/datasets/fashion-mnist"  # Debian's dataset-fashion-mnist
DEADLINE = 0.25  # seconds: a group decides with what it has by then


def load(split):
    with gzip.open(f"{DATA}/{split}-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f"{DATA}/{split}-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return (images.astype(np.float32) / 255.0 - 0.2860) / 0.3530, labels.astype(np.int64)


def lenet5():
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def train(model, steps, rng):
    images, labels = load("train")
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(steps):
        idx = rng.integers(0, len(labels), 64)
        loss = nn.functional.cross_entropy(model(torch.from_numpy(images[idx])), torch.from_numpy(labels[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()


class Workers:
    """N worker threads; call(w, x) runs the model on x after worker w's injected delay."""

    def __init__(self, model, seed):
        self.model = model
        self.rng = np.random.default_rng(seed)
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=48)  # busy stragglers must not block the next group

    def delay(self):
        with self.lock:
            d = 0.002 + self.rng.exponential(0.0005)
            return d * 5 if self.rng.random() < 0.1 else d

    def call(self, w, x, answers):
        def run():
            time.sleep(self.delay())
            with torch.no_grad():
                y = self.model(torch.from_numpy(x)).numpy()
            answers.put((w, y[0]))
        self.pool.submit(run)


def serve(name, scheme, k, n, s, workers, images, reference):
    p = nercc.CodeParams(num_queries=k, num_workers=n)
    enc, dec = nercc.Encoder(scheme, p, np.float32), nercc.Decoder(scheme, p, np.float32)
    latencies, estimates = [], np.full_like(reference, np.nan)
    start = time.perf_counter()
    for g in range(len(images) // k):
        t0 = time.perf_counter()
        coded = enc.encode(images[g * k:(g + 1) * k])  # N x 1 x 28 x 28
        answers = queue.Queue()
        for w in range(n):
            workers.call(w, coded[w:w + 1], answers)
        ids, rows, covered = [], [], set()
        while True:
            # The rule: coded, N - S answers; replication, one answer per query; uncoded, all N.
            if scheme in ("spline", "berrut") and len(ids) >= n - s:
                break
            if scheme == "replication" and len(covered) == k:
                break
            if len(ids) == n:
                break
            try:
                w, y = answers.get(timeout=max(0.0, t0 + DEADLINE - time.perf_counter()))
            except queue.Empty:
                break
            ids.append(w)
            rows.append(y)
            covered.add(w % k)
        r = dec.decode(ids, np.stack(rows)) if ids else None
        done = time.perf_counter() - t0
        if r is not None:
            estimates[g * k:(g + 1) * k] = r.values
        latencies += [done] * k
    elapsed = time.perf_counter() - start
    m = len(latencies)
    est, ref = estimates[:m], reference[:m]
    answered = ~np.isnan(est).any(axis=1)
    rel_acc = float(np.mean(answered & (np.argmax(np.nan_to_num(est), 1) == np.argmax(ref, 1))))
    mse = float(np.mean((est[answered] - ref[answered]) ** 2)) if answered.any() else float("nan")
    ms = 1e3 * np.array(latencies)
    return (f"| {name} | {k} | {n} | {s} | {np.percentile(ms, 50):.1f} | {np.percentile(ms, 99):.1f} | "
            f"{np.percentile(ms, 99.9):.1f} | {m / elapsed:.1f} | {rel_acc:.4f} | {mse:.4f} | "
            f"{int((~answered).sum())} | 0 |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=480, help="test queries per scheme (a multiple of 12)")
    ap.add_argument("--train-steps", type=int, default=300, help="Adam steps of 64 images")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # one core per worker call; the pool gives the parallelism
    rng = np.random.default_rng(args.seed)
    model = lenet5()
    train(model, args.train_steps, rng)
    images, labels = load("t10k")
    images = images[:args.queries - args.queries % 12]
    with torch.no_grad():
        reference = model(torch.from_numpy(images)).numpy()  # the uncoded model's outputs
    accuracy = float(np.mean(np.argmax(reference, 1) == labels[:len(images)]))
    workers = Workers(model, args.seed)
    print("| scheme | K | N | S | p50 ms | p99 ms | p99.9 ms | throughput q/s | RelAcc | MSE | missing | lost |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in (("uncoded", "uncoded", 12, 12, 0), ("replication", "replication", 4, 12, 0),
                ("Berrut", "berrut", 4, 12, 4), ("NeRCC", "spline", 4, 12, 4)):
        print(serve(*row, workers, images, reference), flush=True)
    print(f"\n{len(images)} Fashion-MNIST test queries per scheme, served one group at a time by 12 workers "
          "(48 threads, so that busy stragglers do not hold up the next group; LeNet5, test accuracy "
          f"{accuracy:.3f} after {args.train_steps} training steps). Injected delay per call: "
          f"2 ms + Exp(0.5 ms), x5 for 10% of calls. Deadline {DEADLINE * 1e3:.0f} ms. RelAcc: fraction of queries "
          "whose decoded argmax equals the uncoded model's; missing: queries without an estimate.")
    workers.pool.shutdown(wait=True)


if __name__ == "__main__":
    main()
