// MpiExecutor: the workers as MPI ranks (not included by nercc/optim.hpp: it needs <mpi.h>;
// link MPI::MPI_CXX).
#pragma once

#include <nercc/config.hpp>
#include <nercc/errors.hpp>
#include <nercc/optim/detail/engine.hpp>
#include <nercc/optim/detail/slowdown.hpp>
#include <nercc/types.hpp>

#include <mpi.h>

#include <cmath>
#include <exception>
#include <iostream>
#include <vector>

NERCC_NAMESPACE_BEGIN
namespace optim {

/// Runs the optimiser across the ranks of `comm`: rank 0 is the server (it runs the progress
/// callback and computes the full gradients), ranks 1..P-1 are the workers. Every rank calls
/// the same optimiser with the same objective, prox, parameters and x0 (each rank holds the
/// data); the call returns on every rank with the final x (the staleness statistics are rank
/// 0's; elsewhere they are zero). Messages: the server sends a worker the epoch's snapshot and
/// full gradient once per epoch, then a task with its copy of x; the worker replies with its
/// d-vector message and gets its next task once that message is applied. Rank slow_rank
/// (if >= 1) is slow_factor times slower. MPI must be initialised (MPI_Init) by the caller;
/// an exception on a worker rank aborts the job (MPI_Abort), one on rank 0 stops the workers
/// and propagates. One run at a time per communicator.
struct MpiExecutor {
  MPI_Comm comm = MPI_COMM_WORLD;  ///< at least 2 ranks
  int slow_rank = -1;              ///< rank of the straggler (>= 1), or -1 for none
  double slow_factor = 1.0;        ///< >= 1: how many times slower the straggler is

  /// Throws nercc::invalid_argument naming the first invalid field.
  void validate() const {
    using nercc::detail::message;
    int size = 0;
    MPI_Comm_size(comm, &size);
    if (size < 2) throw invalid_argument(message("comm has ", size, " rank(s); MpiExecutor needs >= 2 (server + workers)"));
    if (slow_rank != -1 && (slow_rank < 1 || slow_rank >= size))
      throw invalid_argument(message("slow_rank (", slow_rank, ") must be -1 or a worker rank in [1, ", size, ")"));
    if (!(slow_factor >= 1.0) || !std::isfinite(slow_factor))
      throw invalid_argument(message("slow_factor (", slow_factor, ") must be finite and >= 1"));
  }

  template <class Engine>
  void run(Engine& engine) const {
    validate();
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (rank == 0) {
      std::exception_ptr failure;
      try {
        serve(engine);
      } catch (...) {
        failure = std::current_exception();
      }
      finish(engine);  // stop the workers even when the server failed
      if (failure) std::rethrow_exception(failure);
    } else {
      try {
        work(engine, rank);
      } catch (const std::exception& e) {
        std::cerr << "nercc::optim::MpiExecutor: rank " << rank << ": " << e.what() << '\n';
        MPI_Abort(comm, 1);
      }
    }
  }

 private:
  enum Tag : int { epoch_tag = 1, task_tag = 2, message_tag = 3, stop_tag = 4 };
  static constexpr int header = 4;  // epoch, index, read version, step

  template <class Engine>
  void serve(Engine& engine) const {
    int size = 0;
    MPI_Comm_size(comm, &size);
    const Index d = engine.dim();
    const auto workers = std::size_t(size - 1);
    std::vector<detail::Task> tasks(workers);
    std::vector<char> busy(workers, 0);
    std::vector<Index> loaded(workers, -1);  // epoch whose snapshot each worker holds
    std::vector<double> out(std::size_t(header + d)), epoch_data;
    Vector<double> received(d);
    for (Index epoch = 0; engine.next_epoch(); ++epoch) {
      if (engine.variance_reduced()) {
        epoch_data.resize(std::size_t(2 * d));
        Vector<double>::Map(epoch_data.data(), d) = engine.snapshot();
        Vector<double>::Map(epoch_data.data() + d, d) = engine.mean_gradient();
      }
      while (!engine.epoch_complete()) {
        for (std::size_t w = 0; w < workers && engine.can_dispatch(); ++w) {
          if (busy[w]) continue;
          const int dest = int(w) + 1;
          if (engine.variance_reduced() && loaded[w] != epoch) {
            MPI_Send(epoch_data.data(), int(2 * d), MPI_DOUBLE, dest, epoch_tag, comm);
            loaded[w] = epoch;
          }
          const detail::Task t = tasks[w] = engine.dispatch(Index(w));
          out[0] = double(t.epoch);
          out[1] = double(t.index);
          out[2] = double(t.read_version);
          out[3] = t.step;
          Vector<double>::Map(out.data() + header, d) = engine.x();
          MPI_Send(out.data(), int(out.size()), MPI_DOUBLE, dest, task_tag, comm);
          busy[w] = 1;
        }
        MPI_Status status;
        MPI_Recv(received.data(), int(d), MPI_DOUBLE, MPI_ANY_SOURCE, message_tag, comm, &status);
        engine.submit(tasks[std::size_t(status.MPI_SOURCE - 1)], Vector<double>(received));
        engine.apply_ready([&](const detail::Task& t) { busy[std::size_t(t.worker)] = 0; });
      }
    }
  }

  template <class Engine>
  void finish(Engine& engine) const {
    int size = 0;
    MPI_Comm_size(comm, &size);
    for (int dest = 1; dest < size; ++dest) MPI_Send(nullptr, 0, MPI_DOUBLE, dest, stop_tag, comm);
    Vector<double> x = engine.x();
    MPI_Bcast(x.data(), int(x.size()), MPI_DOUBLE, 0, comm);
  }

  template <class Engine>
  void work(Engine& engine, int rank) const {
    const Index d = engine.dim();
    std::vector<double> in(std::size_t(header + d));
    Vector<double> y(d), payload(d);
    detail::Workspace ws;
    for (;;) {
      MPI_Status status;
      MPI_Probe(0, MPI_ANY_TAG, comm, &status);
      if (status.MPI_TAG == stop_tag) {
        MPI_Recv(nullptr, 0, MPI_DOUBLE, 0, stop_tag, comm, MPI_STATUS_IGNORE);
        break;
      }
      if (status.MPI_TAG == epoch_tag) {
        std::vector<double> data(std::size_t(2 * d));
        MPI_Recv(data.data(), int(2 * d), MPI_DOUBLE, 0, epoch_tag, comm, MPI_STATUS_IGNORE);
        engine.load_epoch(Vector<double>::Map(data.data(), d), Vector<double>::Map(data.data() + d, d));
        continue;
      }
      MPI_Recv(in.data(), int(in.size()), MPI_DOUBLE, 0, task_tag, comm, MPI_STATUS_IGNORE);
      const detail::Task task{rank - 1, Index(in[0]), Index(in[1]), Index(in[2]), in[3]};
      y = Vector<double>::Map(in.data() + header, d);
      detail::run_slowed(rank == slow_rank, slow_factor, [&] { engine.compute(task, y, payload, ws); });
      MPI_Send(payload.data(), int(d), MPI_DOUBLE, 0, message_tag, comm);
    }
    Vector<double> x(d);
    MPI_Bcast(x.data(), int(d), MPI_DOUBLE, 0, comm);
    engine.load_iterate(std::move(x));
  }
};

}  // namespace optim
NERCC_NAMESPACE_END
