// The optimiser module (opt-in; not included by nercc/nercc.hpp): proximal SVRG, DAP-SVRG, its
// prox-at-server variant and DAP-SGD, with FISTA as the reference solver. The thread executor
// runs std::threads (nercc::nercc links Threads); the MPI executor is separate: include
// nercc/optim/mpi_executor.hpp.
#pragma once

#include <nercc/optim/fista.hpp>
#include <nercc/optim/logistic.hpp>
#include <nercc/optim/objective.hpp>
#include <nercc/optim/params.hpp>
#include <nercc/optim/progress.hpp>
#include <nercc/optim/prox.hpp>
#include <nercc/optim/simulated_executor.hpp>
#include <nercc/optim/svrg.hpp>
#include <nercc/optim/thread_executor.hpp>
