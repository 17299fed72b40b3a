// A task of the selector's corpus: a model under an input distribution. Part of the
// corpus-builder example, not of the library.
#pragma once

#include <nercc/types.hpp>

#include <functional>
#include <string>

namespace select_corpus {

using Matrix = nercc::RowMatrix<double>;
using Model = std::function<Matrix(const Matrix&)>;

/// A model under an input distribution: its id ("<model>/<distribution>"), the model (rows in,
/// rows out, any number of rows) and typical queries in arrival order (the tuner's batches are
/// their consecutive K-row blocks).
struct Task {
  std::string id;
  Model model;
  Matrix queries;
};

}  // namespace select_corpus
