// NumPy arrays as nercc's row-major matrices and back: the leading axis is the row axis (queries,
// workers, sites), any trailing shape is flattened into the columns as <nercc/xtensor.hpp> does.
// C-contiguous arrays of the right dtype are read in place; other layouts are copied once.
#pragma once

#include <nercc/errors.hpp>
#include <nercc/types.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nercc_python {

namespace py = pybind11;
using nercc::Index;
using nercc::detail::message;

/// Raised (as nercc.DTypeError, a TypeError) when an array has a dtype the call does not take.
class dtype_error : public std::runtime_error {
 public:
  explicit dtype_error(const std::string& what) : std::runtime_error(what) {}
};

/// The numpy module, imported once and never released (a static py::object would be released
/// after the interpreter is gone).
inline py::handle numpy() {
  static py::handle np = py::module_::import("numpy").release();
  return np;
}

template <class S>
const char* dtype_name() {
  return sizeof(S) == sizeof(float) ? "float32" : "float64";
}

/// True for objects NumPy views without converting: arrays, the array interface (PyTorch CPU
/// tensors), the buffer protocol.
inline bool is_array_like(py::handle obj) {
  return py::isinstance<py::array>(obj) || py::hasattr(obj, "__array_interface__") || py::hasattr(obj, "__array__") ||
         PyObject_CheckBuffer(obj.ptr());
}

/// `obj` as an ndarray without a dtype conversion (sequences are converted to S: a copy).
template <class S>
py::array as_array(py::handle obj) {
  if (py::isinstance<py::array>(obj)) return py::reinterpret_borrow<py::array>(obj);
  if (is_array_like(obj)) return numpy().attr("asarray")(obj);
  return numpy().attr("asarray")(obj, py::dtype::of<S>());
}

/// A row-major view of an input: rows along the leading axis, the trailing shape flattened.
template <class S>
struct Rows {
  py::array array;  // keeps the data alive (the input itself, or its contiguous copy)
  const S* data = nullptr;
  Index rows = 0, cols = 0;
  std::vector<py::ssize_t> trailing;

  Eigen::Map<const nercc::RowMatrix<S>> matrix() const { return {data, rows, cols}; }
};

/// Reads `obj` (named `name` in errors) as rows of S: nercc.DTypeError for another dtype (no
/// silent casts), nercc.ShapeMismatch for a 0-d input or an empty trailing shape.
template <class S>
Rows<S> rows_of(py::handle obj, const char* name) {
  Rows<S> r;
  r.array = as_array<S>(obj);
  if (!py::isinstance<py::array_t<S>>(r.array))
    throw dtype_error(message(name, " has dtype ", std::string(py::str(r.array.dtype())), ", expected ",
                              dtype_name<S>(), ": convert it first, e.g. ", name, ".astype(numpy.", dtype_name<S>(),
                              ")"));
  if (r.array.ndim() < 1)
    throw nercc::shape_mismatch(message(name, " is 0-dimensional: give one row per query/worker along axis 0"));
  if (!(r.array.flags() & py::array::c_style)) r.array = numpy().attr("ascontiguousarray")(r.array);
  r.rows = Index(r.array.shape(0));
  r.cols = 1;
  for (py::ssize_t a = 1; a < r.array.ndim(); ++a) {
    r.trailing.push_back(r.array.shape(a));
    r.cols *= Index(r.array.shape(a));
  }
  if (r.rows > 0 && r.cols == 0) throw nercc::shape_mismatch(message(name, " has an empty trailing shape"));
  r.data = static_cast<const S*>(r.array.data());
  return r;
}

/// A new C-contiguous array of shape (rows, *trailing).
template <class S>
py::array_t<S> new_rows(Index rows, const std::vector<py::ssize_t>& trailing) {
  std::vector<py::ssize_t> shape{py::ssize_t(rows)};
  shape.insert(shape.end(), trailing.begin(), trailing.end());
  return py::array_t<S>(shape);
}

template <class S>
Eigen::Map<nercc::RowMatrix<S>> writable_matrix(py::array_t<S>& a, Index rows, Index cols) {
  return {a.mutable_data(), rows, cols};
}

/// Moves a matrix into a NumPy array of shape (rows, *trailing) that owns it: no copy. The
/// trailing shape must hold cols() values.
template <class S>
py::array_t<S> adopt(nercc::RowMatrix<S>&& m, const std::vector<py::ssize_t>& trailing) {
  auto* owned = new nercc::RowMatrix<S>(std::move(m));
  py::capsule owner(owned, [](void* p) { delete static_cast<nercc::RowMatrix<S>*>(p); });
  std::vector<py::ssize_t> shape{py::ssize_t(owned->rows())};
  shape.insert(shape.end(), trailing.begin(), trailing.end());
  return py::array_t<S>(shape, owned->data(), owner);
}

/// As above, as a 2-d array.
template <class S>
py::array_t<S> adopt(nercc::RowMatrix<S>&& m) {
  const std::vector<py::ssize_t> trailing{py::ssize_t(m.cols())};
  return adopt(std::move(m), trailing);
}

template <class T>
py::array_t<T> vector_array(const std::vector<T>& v) {
  py::array_t<T> a(py::ssize_t(v.size()));
  if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
  return a;
}

/// A 1-d sequence of reals (sites, points) as doubles; NumPy arrays of any real dtype are converted.
inline std::vector<double> reals_of(py::handle obj, const char* name) {
  py::array a = numpy().attr("asarray")(obj);
  if (a.dtype().kind() != 'f' && a.dtype().kind() != 'i' && a.dtype().kind() != 'u')
    throw dtype_error(message(name, " has dtype ", std::string(py::str(a.dtype())), ": expected real numbers"));
  if (a.ndim() != 1) throw nercc::shape_mismatch(message(name, " has ", a.ndim(), " dimensions, expected 1"));
  auto d = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(a);
  return std::vector<double>(d.data(), d.data() + d.size());
}

/// A 1-d sequence of integers (worker ids, an order): NumPy integer arrays or Python ints;
/// floating-point values are rejected (a worker id must not be truncated).
inline std::vector<Index> indices_of(py::handle obj, const char* name) {
  if (py::isinstance<py::array_t<Index>>(obj)) {
    auto a = py::reinterpret_borrow<py::array>(obj);
    if (a.ndim() != 1) throw nercc::shape_mismatch(message(name, " has ", a.ndim(), " dimensions, expected 1"));
    if (a.flags() & py::array::c_style) {
      const Index* p = static_cast<const Index*>(a.data());
      return std::vector<Index>(p, p + a.size());
    }
  }
  if (is_array_like(obj)) {
    py::array a = numpy().attr("asarray")(obj);
    if (a.dtype().kind() != 'i' && a.dtype().kind() != 'u')
      throw dtype_error(message(name, " has dtype ", std::string(py::str(a.dtype())), ": expected integers"));
    if (a.ndim() != 1) throw nercc::shape_mismatch(message(name, " has ", a.ndim(), " dimensions, expected 1"));
    auto c = py::array_t<Index, py::array::c_style | py::array::forcecast>::ensure(a);
    return std::vector<Index>(c.data(), c.data() + c.size());
  }
  try {
    return obj.cast<std::vector<Index>>();
  } catch (const py::cast_error&) {
    throw dtype_error(message(name, " must be a sequence of integers, got ",
                              std::string(py::str(py::type::of(obj).attr("__name__")))));
  }
}

}  // namespace nercc_python
