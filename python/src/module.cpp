// nercc._nercc: the C++ API in Python's conventions (the package nercc re-exports it). One
// translation unit. Every computation (encode, decode, fits, ordering, tuning, planning) runs
// with the GIL released; arrays go in and out without copies where the layout allows
// (arrays.hpp).
#include "arrays.hpp"
#include "records.hpp"

#include <nercc/nercc.hpp>
#include <nercc/plan.hpp>
#include <nercc/tune.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nercc_python {
namespace {

using nercc::CodeParams;
using nercc::DecodeStatus;
using nercc::QueryProvenance;
using nercc::RowMatrix;
using nercc::SchemeKind;

// ---------------------------------------------------------------------------------------------
// Exceptions: the C++ hierarchy as Python classes that are also ValueError / RuntimeError.

struct ExceptionTypes {
  PyObject* error = nullptr;
  PyObject* invalid_argument = nullptr;
  PyObject* shape_mismatch = nullptr;
  PyObject* non_finite_input = nullptr;
  PyObject* invalid_state = nullptr;
  PyObject* dtype_error = nullptr;
};
ExceptionTypes exceptions;

PyObject* new_exception(py::module_& m, const char* name, py::tuple bases, const char* doc) {
  PyObject* type = PyErr_NewExceptionWithDoc((std::string("nercc.") + name).c_str(), doc, bases.ptr(), nullptr);
  if (!type) throw py::error_already_set();
  m.add_object(name, py::handle(type));  // the module holds a reference; so does `exceptions` (never freed)
  return type;
}

void raise(PyObject* type, const char* what, int id) {
  py::object instance = py::reinterpret_borrow<py::object>(type)(what);
  instance.attr("error_id") = id;
  PyErr_SetObject(type, instance.ptr());
}

void bind_exceptions(py::module_& m) {
  auto tuple = [](std::initializer_list<PyObject*> types) {
    py::tuple t(types.size());
    std::size_t i = 0;
    for (PyObject* type : types) t[i++] = py::reinterpret_borrow<py::object>(type);
    return t;
  };
  exceptions.error = new_exception(m, "Error", tuple({PyExc_Exception}),
                                   "Base of every error nercc raises; error_id holds nercc::error_id.");
  exceptions.invalid_argument =
      new_exception(m, "InvalidArgument", tuple({exceptions.error, PyExc_ValueError}),
                    "A parameter or argument has an invalid value (nercc::invalid_argument).");
  exceptions.shape_mismatch = new_exception(m, "ShapeMismatch", tuple({exceptions.invalid_argument}),
                                            "An array has the wrong shape (nercc::shape_mismatch).");
  exceptions.non_finite_input = new_exception(m, "NonFiniteInput", tuple({exceptions.invalid_argument}),
                                              "A query holds NaN or infinity (nercc::non_finite_input).");
  exceptions.invalid_state = new_exception(m, "InvalidState", tuple({exceptions.error, PyExc_RuntimeError}),
                                           "The call is not allowed in the object's state (nercc::invalid_state).");
  exceptions.dtype_error = new_exception(m, "DTypeError", tuple({exceptions.error, PyExc_TypeError}),
                                         "An array's dtype is not the one the call works in (no silent casts).");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const nercc::shape_mismatch& e) {
      raise(exceptions.shape_mismatch, e.what(), int(e.id()));
    } catch (const nercc::non_finite_input& e) {
      raise(exceptions.non_finite_input, e.what(), int(e.id()));
    } catch (const nercc::invalid_argument& e) {
      raise(exceptions.invalid_argument, e.what(), int(e.id()));
    } catch (const nercc::invalid_state& e) {
      raise(exceptions.invalid_state, e.what(), int(e.id()));
    } catch (const nercc::error& e) {
      raise(exceptions.error, e.what(), int(e.id()));
    } catch (const dtype_error& e) {
      raise(exceptions.dtype_error, e.what(), 0);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Scheme and dtype arguments.

SchemeKind scheme_of(py::handle obj) {
  if (py::isinstance<py::str>(obj)) {
    const std::string name = py::str(obj);
    std::string names;
    for (SchemeKind k : nercc::all_schemes) {
      if (name == nercc::to_string(k)) return k;
      names += (names.empty() ? "" : ", ") + std::string(nercc::to_string(k));
    }
    throw nercc::invalid_argument(message("scheme ('", name, "') is not one of ", names));
  }
  try {
    return obj.cast<SchemeKind>();
  } catch (const py::cast_error&) {
    throw dtype_error("scheme must be a nercc.Scheme or its name (e.g. 'spline')");
  }
}

enum class Real { f32, f64 };

Real real_of(py::handle obj) {
  py::object dtype = numpy().attr("dtype")(obj);
  if (dtype.equal(numpy().attr("dtype")("float32"))) return Real::f32;
  if (dtype.equal(numpy().attr("dtype")("float64"))) return Real::f64;
  throw dtype_error(message("dtype (", std::string(py::str(dtype)), ") must be float32 or float64"));
}

/// float32 for float32 arrays, float64 otherwise (lists are converted to float64).
Real real_of_values(py::handle obj) {
  if (is_array_like(obj)) {
    py::array a = numpy().attr("asarray")(obj);
    if (py::isinstance<py::array_t<float>>(a)) return Real::f32;
    if (py::isinstance<py::array_t<double>>(a)) return Real::f64;
    throw dtype_error(message("values has dtype ", std::string(py::str(a.dtype())), ", expected float32 or float64"));
  }
  return Real::f64;
}

template <class F>
decltype(auto) visit_real(Real real, F&& f) {
  if (real == Real::f32) return std::forward<F>(f)(float{});
  return std::forward<F>(f)(double{});
}

// ---------------------------------------------------------------------------------------------
// Encoder and Decoder, type-erased over (scheme, dtype).

class EncoderBase {
 public:
  virtual ~EncoderBase() = default;
  virtual py::array encode(py::handle queries, py::handle out) const = 0;
  virtual py::tuple encode_with_order(py::handle queries) const = 0;
  virtual py::array encoding_matrix(py::handle self) const = 0;
  virtual const CodeParams& params() const = 0;
  virtual bool systematic() const = 0;
  virtual SchemeKind scheme() const = 0;
  virtual Real real() const = 0;
};

/// A read-only view of `m`, alive as long as `owner`.
template <class S>
py::array view(const RowMatrix<S>& m, py::handle owner) {
  py::array a = py::array_t<S>({py::ssize_t(m.rows()), py::ssize_t(m.cols())}, m.data(), owner);
  a.attr("setflags")(py::arg("write") = false);
  return a;
}

template <class Scheme, class S>
class EncoderImpl final : public EncoderBase {
 public:
  explicit EncoderImpl(const CodeParams& p) : encoder_(p) {}

  py::array encode(py::handle queries, py::handle out_obj) const override {
    const Rows<S> in = rows_of<S>(queries, "queries");
    py::array_t<S> out =
        out_obj.is_none() ? new_rows<S>(encoder_.num_workers(), in.trailing) : checked_out(out_obj, in);
    auto coded = writable_matrix(out, encoder_.num_workers(), in.cols);
    {
      py::gil_scoped_release nogil;
      encoder_.encode_into(in.matrix(), coded);
    }
    return std::move(out);
  }

  py::tuple encode_with_order(py::handle queries) const override {
    const Rows<S> in = rows_of<S>(queries, "queries");
    py::array_t<S> out = new_rows<S>(encoder_.num_workers(), in.trailing);
    auto coded = writable_matrix(out, encoder_.num_workers(), in.cols);
    nercc::QueryOrder order;
    {
      py::gil_scoped_release nogil;
      encoder_.encode_into(in.matrix(), coded, order);
    }
    return py::make_tuple(std::move(out), vector_array(order));
  }

  py::array encoding_matrix(py::handle self) const override { return view(encoder_.encoding_matrix(), self); }
  const CodeParams& params() const override { return encoder_.params(); }
  bool systematic() const override { return encoder_.systematic(); }
  SchemeKind scheme() const override { return Scheme::kind; }
  Real real() const override { return sizeof(S) == sizeof(float) ? Real::f32 : Real::f64; }

 private:
  py::array_t<S> checked_out(py::handle obj, const Rows<S>& in) const {
    if (!py::isinstance<py::array_t<S>>(obj))
      throw dtype_error(message("out must be a numpy.ndarray of dtype ", dtype_name<S>()));
    auto out = py::reinterpret_borrow<py::array_t<S>>(obj);
    if (!(out.flags() & py::array::c_style) || !out.writeable())
      throw nercc::invalid_argument("out must be C-contiguous and writeable");
    const Index n = encoder_.num_workers();
    if (out.ndim() < 1 || Index(out.shape(0)) != n || Index(out.size()) != n * in.cols)
      throw nercc::shape_mismatch(message("out must hold num_workers (", n, ") rows of ", in.cols, " values"));
    return out;
  }

  nercc::Encoder<Scheme, S> encoder_;
};

/// What Decoder.decode returns; the per-query vectors become arrays when read.
struct DecodeResultPy {
  py::array values;
  DecodeStatus status = DecodeStatus::ok;
  std::vector<bool> available;
  std::vector<QueryProvenance> provenance;
  std::vector<double> reliability;
  std::vector<Index> rejected_workers;
  std::vector<Index> flagged_workers;
  std::vector<double> flag_scores;
  nercc::DecodeDiagnostics diagnostics;
};

class DecoderBase {
 public:
  virtual ~DecoderBase() = default;
  virtual DecodeResultPy decode(py::handle ids, py::handle outputs, py::handle order) const = 0;
  virtual py::array decoding_matrix(py::handle ids) const = 0;
  virtual const CodeParams& params() const = 0;
  virtual bool systematic() const = 0;
  virtual Index min_answers() const = 0;
  virtual std::size_t cached_sets() const = 0;
  virtual SchemeKind scheme() const = 0;
  virtual Real real() const = 0;
};

template <class Scheme, class S>
class DecoderImpl final : public DecoderBase {
 public:
  explicit DecoderImpl(const CodeParams& p) : decoder_(p) {}

  DecodeResultPy decode(py::handle ids_obj, py::handle outputs, py::handle order_obj) const override {
    const std::vector<Index> ids = indices_of(ids_obj, "ids");
    const Rows<S> in = rows_of<S>(outputs, "outputs");
    std::optional<nercc::QueryOrder> order;
    if (!order_obj.is_none()) order = indices_of(order_obj, "order");
    nercc::DecodeResult<S> r;
    {
      py::gil_scoped_release nogil;
      r = order ? decoder_.decode(ids, in.matrix(), *order) : decoder_.decode(ids, in.matrix());
    }
    DecodeResultPy out;
    out.values = adopt(std::move(r.values), in.trailing);
    out.status = r.status;
    out.available = std::move(r.available);
    out.provenance = std::move(r.provenance);
    out.reliability = std::move(r.reliability);
    out.rejected_workers = std::move(r.rejected_workers);
    out.flagged_workers = std::move(r.flagged_workers);
    out.flag_scores = std::move(r.flag_scores);
    out.diagnostics = r.diagnostics;
    return out;
  }

  py::array decoding_matrix(py::handle ids_obj) const override {
    const std::vector<Index> ids = indices_of(ids_obj, "ids");
    RowMatrix<S> d;
    {
      py::gil_scoped_release nogil;
      d = decoder_.decoding_matrix(ids);
    }
    return adopt(std::move(d));
  }

  const CodeParams& params() const override { return decoder_.params(); }
  bool systematic() const override { return decoder_.systematic(); }
  Index min_answers() const override { return decoder_.min_answers(); }
  std::size_t cached_sets() const override { return decoder_.cached_sets(); }
  SchemeKind scheme() const override { return Scheme::kind; }
  Real real() const override { return sizeof(S) == sizeof(float) ? Real::f32 : Real::f64; }

 private:
  nercc::Decoder<Scheme, S> decoder_;
};

template <class Base, template <class, class> class Impl>
std::unique_ptr<Base> make_codec(py::handle scheme, const CodeParams& params, py::handle dtype) {
  const SchemeKind kind = scheme_of(scheme);
  const Real real = real_of(dtype);
  return nercc::visit_scheme(kind, [&](auto tag) {
    using Tag = decltype(tag);
    return visit_real(real, [&](auto s) -> std::unique_ptr<Base> {
      return std::make_unique<Impl<Tag, decltype(s)>>(params);
    });
  });
}

py::object dtype_object(Real real) { return numpy().attr("dtype")(real == Real::f32 ? "float32" : "float64"); }

template <class T>
std::string codec_repr(const char* type, const T& c) {
  return message("nercc.", type, "(", nercc::to_string(c.scheme()), ", K=", c.params().num_queries,
                 ", N=", c.params().num_workers, ", dtype=", c.real() == Real::f32 ? "float32" : "float64",
                 c.systematic() ? ", systematic" : "", ")");
}

// ---------------------------------------------------------------------------------------------
// SmoothingSpline and BerrutInterpolant, type-erased over the dtype.

class CurveBase {
 public:
  virtual ~CurveBase() = default;
  virtual py::array evaluate(py::handle points) const = 0;
  virtual Index num_sites() const = 0;
  virtual Index dimension() const = 0;
  virtual Real real() const = 0;
};

template <class Fit>
class CurveImpl final : public CurveBase {
  using S = typename Fit::Scalar;

 public:
  template <class... Extra>
  CurveImpl(const std::vector<double>& sites, const Rows<S>& values, const Extra&... extra)
      : fit_(fit(sites, values, extra...)), trailing_(values.trailing) {}

  py::array evaluate(py::handle points_obj) const override {
    const std::vector<double> points = reals_of(points_obj, "points");
    RowMatrix<S> out;
    {
      py::gil_scoped_release nogil;
      out = fit_.evaluate(points);
    }
    return adopt(std::move(out), trailing_);
  }
  Index num_sites() const override { return fit_.num_sites(); }
  Index dimension() const override { return fit_.dimension(); }
  Real real() const override { return sizeof(S) == sizeof(float) ? Real::f32 : Real::f64; }

 private:
  template <class... Extra>
  static Fit fit(const std::vector<double>& sites, const Rows<S>& values, const Extra&... extra) {
    py::gil_scoped_release nogil;
    return Fit(sites, values.matrix(), extra...);
  }

  Fit fit_;
  std::vector<py::ssize_t> trailing_;
};

std::unique_ptr<CurveBase> make_spline(py::handle sites_obj, py::handle values_obj, double lam,
                                       py::handle weights_obj) {
  const std::vector<double> sites = reals_of(sites_obj, "sites");
  return visit_real(real_of_values(values_obj), [&](auto s) -> std::unique_ptr<CurveBase> {
    using S = decltype(s);
    const Rows<S> values = rows_of<S>(values_obj, "values");
    const std::vector<double> w = weights_obj.is_none() ? std::vector<double>{} : reals_of(weights_obj, "weights");
    return std::make_unique<CurveImpl<nercc::SmoothingSpline<S>>>(sites, values, lam, w);
  });
}

std::unique_ptr<CurveBase> make_berrut(py::handle sites_obj, py::handle values_obj) {
  const std::vector<double> sites = reals_of(sites_obj, "sites");
  return visit_real(real_of_values(values_obj), [&](auto s) -> std::unique_ptr<CurveBase> {
    using S = decltype(s);
    const Rows<S> values = rows_of<S>(values_obj, "values");
    return std::make_unique<CurveImpl<nercc::BerrutInterpolant<S>>>(sites, values);
  });
}

// ---------------------------------------------------------------------------------------------
// tune_lambdas with a Python model.

/// The user's model, called with the GIL held on a fresh (rows x d) array; its output is read
/// as rows of S (converted when it has another dtype: a model may compute in float64).
template <class S>
struct PythonModel {
  py::object fn;
  RowMatrix<S> operator()(const RowMatrix<S>& inputs) const {
    py::gil_scoped_acquire gil;
    py::array_t<S> x({py::ssize_t(inputs.rows()), py::ssize_t(inputs.cols())});
    writable_matrix(x, inputs.rows(), inputs.cols()) = inputs;
    py::object y = fn(x);
    const Rows<S> out = rows_of<S>(numpy().attr("asarray")(y, py::dtype::of<S>()), "model output");
    return out.matrix();
  }
};

nercc::TuneResult tune(const nercc::TuneParams& params, py::handle calibration, py::object model) {
  if (!PyCallable_Check(model.ptr())) throw dtype_error("model must be callable: model(inputs) -> outputs");
  return visit_real(real_of_values(calibration), [&](auto s) {
    using S = decltype(s);
    const Rows<S> rows = rows_of<S>(calibration, "calibration");
    const PythonModel<S> fn{std::move(model)};
    py::gil_scoped_release nogil;
    return nercc::tune_lambdas(params, rows.matrix(), fn);
  });
}

// ---------------------------------------------------------------------------------------------

template <class T>
void validate(const T& value) {
  value.validate();
}

py::array points_array(const std::vector<double>& p) { return vector_array(p); }

void bind_enums(py::module_& m) {
  py::enum_<SchemeKind>(m, "Scheme", "The codes: spline (NeRCC), berrut (BACC), replication, uncoded.")
      .value("spline", SchemeKind::spline)
      .value("berrut", SchemeKind::berrut)
      .value("replication", SchemeKind::replication)
      .value("uncoded", SchemeKind::uncoded);
  py::enum_<DecodeStatus>(m, "DecodeStatus", "The numerical outcome of a decode.")
      .value("ok", DecodeStatus::ok, "every query has an estimate")
      .value("partial", DecodeStatus::partial, "some queries have no estimate (their rows are NaN)")
      .value("insufficient_answers", DecodeStatus::insufficient_answers,
             "fewer usable answers than min_answers: nothing decoded (all rows NaN)");
  py::enum_<QueryProvenance>(m, "QueryProvenance", "How a decode produced one query's value.")
      .value("exact", QueryProvenance::exact, "a worker computed this very query (reliability 1)")
      .value("estimated", QueryProvenance::estimated, "combined by the decoder from the answers")
      .value("unavailable", QueryProvenance::unavailable, "no value: the row is NaN (reliability 0)");
  py::enum_<nercc::OrderingMethod>(m, "OrderingMethod", "How order_queries chooses the order of a batch.")
      .value("as_given", nercc::OrderingMethod::as_given)
      .value("greedy_chain", nercc::OrderingMethod::greedy_chain)
      .value("greedy_two_opt", nercc::OrderingMethod::greedy_two_opt)
      .value("principal_direction", nercc::OrderingMethod::principal_direction);
  py::enum_<nercc::Projection>(m, "Projection", "Random projection of OrderingOptions.projection_dim.")
      .value("rademacher", nercc::Projection::rademacher)
      .value("count_sketch", nercc::Projection::count_sketch);
  py::enum_<nercc::ChainStart>(m, "ChainStart", "Where the greedy chain starts.")
      .value("best_of_all", nercc::ChainStart::best_of_all)
      .value("farthest_pair", nercc::ChainStart::farthest_pair);
  py::enum_<nercc::TuneMetric>(m, "TuneMetric", "What tune_lambdas minimises.")
      .value("mse", nercc::TuneMetric::mse)
      .value("rel_acc", nercc::TuneMetric::rel_acc);
}

void bind_params(py::module_& m) {
  Record<nercc::OrderingOptions>(m, "OrderingOptions", "Options of order_queries (C++ nercc::OrderingOptions).")
      .field("projection_dim", &nercc::OrderingOptions::projection_dim,
             "0: exact distances; p in [1, d): on a p-dim random projection")
      .field("projection", &nercc::OrderingOptions::projection, "rademacher or count_sketch")
      .field("seed", &nercc::OrderingOptions::seed, "seed of the projection")
      .field("chain_start", &nercc::OrderingOptions::chain_start, "where the greedy chain starts")
      .field("max_two_opt_passes", &nercc::OrderingOptions::max_two_opt_passes, "upper bound on 2-opt sweeps")
      .field("max_power_iterations", &nercc::OrderingOptions::max_power_iterations, "principal_direction's bound")
      .field("power_tolerance", &nercc::OrderingOptions::power_tolerance, "power iteration stopping tolerance")
      .finish(&validate<nercc::OrderingOptions>)
      .def("validate", &nercc::OrderingOptions::validate, "Raises nercc.InvalidArgument naming the first bad field.");

  Record<CodeParams>(m, "CodeParams",
                     "Parameters of a code (C++ nercc::CodeParams), shared by Encoder and Decoder.\n\n"
                     "CodeParams(num_queries=10, num_workers=20, lambda_enc=0.0, lambda_dec=0.0,\n"
                     "           query_points=[], worker_points=[], min_answers=0, decoder_cache_capacity=1024,\n"
                     "           num_threads=1, ordering=OrderingMethod.as_given, ordering_options=OrderingOptions(),\n"
                     "           num_adversaries=0, detection_threshold=0.0)\n\n"
                     "Keyword arguments only; validated on construction (nercc.InvalidArgument names the field).\n"
                     "The lambdas use SciPy make_smoothing_spline's sum convention. Empty point lists mean the\n"
                     "default Chebyshev points (first kind for queries, second kind for workers).")
      .field("num_queries", &CodeParams::num_queries, "K: queries per group")
      .field("num_workers", &CodeParams::num_workers, "N: coded queries (workers) per group")
      .field("lambda_enc", &CodeParams::lambda_enc, "encoder smoothing (spline only), >= 0")
      .field("lambda_dec", &CodeParams::lambda_dec, "decoder smoothing (spline only), >= 0")
      .field("query_points", &CodeParams::query_points, "alpha_1..alpha_K in [-1, 1]; empty: Chebyshev first kind")
      .field("worker_points", &CodeParams::worker_points, "beta_1..beta_N in [-1, 1]; empty: Chebyshev second kind")
      .field("min_answers", &CodeParams::min_answers, "fewest usable answers a decode accepts; 0: automatic")
      .field("decoder_cache_capacity", &CodeParams::decoder_cache_capacity, "decoding matrices cached (LRU)")
      .field("num_threads", &CodeParams::num_threads, "threads a large encode/decode splits its columns over")
      .field("ordering", &CodeParams::ordering, "query ordering per batch (regression schemes)")
      .field("ordering_options", &CodeParams::ordering_options, "used when ordering is not as_given")
      .field("num_adversaries", &CodeParams::num_adversaries,
             "E: wrong (Byzantine) answers per group the decoder looks for and drops; 0: none")
      .field("detection_threshold", &CodeParams::detection_threshold,
             "spline/Berrut with E > 0: drop an answer only above this residual score; 0: the E highest")
      .finish(&validate<CodeParams>)
      .def("validate", &CodeParams::validate, "Raises nercc.InvalidArgument naming the first invalid field.")
      .def("resolved_query_points", [](const CodeParams& p) { return points_array(p.resolved_query_points()); },
           "The query points in use (the defaults when query_points is empty).")
      .def("resolved_worker_points", [](const CodeParams& p) { return points_array(p.resolved_worker_points()); },
           "The worker points in use (the defaults when worker_points is empty).");

  m.def("systematic_params", [](Index k, Index n, double spread, std::vector<double> query_points) {
          return nercc::systematic_params(k, n, spread, std::move(query_points));
        },
        py::arg("num_queries"), py::arg("num_workers"), py::arg("spread"),
        py::arg("query_points") = std::vector<double>{},
        "A systematic layout for spline or Berrut: worker k at query point k (it computes query k\n"
        "exactly), the N - K companions clustered near the query points (spread in (0, 1)).");
}

void bind_codecs(py::module_& m) {
  py::class_<nercc::DecodeDiagnostics>(m, "DecodeDiagnostics", "Counts describing one decode.")
      .def_readonly("answers_received", &nercc::DecodeDiagnostics::answers_received)
      .def_readonly("answers_used", &nercc::DecodeDiagnostics::answers_used)
      .def_readonly("answers_rejected_non_finite", &nercc::DecodeDiagnostics::answers_rejected_non_finite)
      .def_readonly("queries_exact", &nercc::DecodeDiagnostics::queries_exact)
      .def_readonly("queries_estimated", &nercc::DecodeDiagnostics::queries_estimated)
      .def_readonly("queries_unavailable", &nercc::DecodeDiagnostics::queries_unavailable)
      .def_readonly("estimates_non_finite", &nercc::DecodeDiagnostics::estimates_non_finite)
      .def_readonly("answers_flagged", &nercc::DecodeDiagnostics::answers_flagged)
      .def_readonly("cache_hit", &nercc::DecodeDiagnostics::cache_hit)
      .def("__repr__", [](const nercc::DecodeDiagnostics& d) {
        return message("DecodeDiagnostics(answers_received=", d.answers_received, ", answers_used=", d.answers_used,
                       ", answers_rejected_non_finite=", d.answers_rejected_non_finite, ", queries_exact=",
                       d.queries_exact, ", queries_estimated=", d.queries_estimated, ", queries_unavailable=",
                       d.queries_unavailable, ", estimates_non_finite=", d.estimates_non_finite,
                       ", answers_flagged=", d.answers_flagged,
                       ", cache_hit=", d.cache_hit ? "True" : "False", ")");
      });

  py::class_<DecodeResultPy>(m, "DecodeResult",
                             "What Decoder.decode returns: the K estimates and how each was produced.")
      .def_readonly("values", &DecodeResultPy::values,
                    "K x (trailing shape of the outputs): row k is f(x_k) or its estimate; NaN where unavailable")
      .def_readonly("status", &DecodeResultPy::status, "ok, partial or insufficient_answers")
      .def_property_readonly("ok", [](const DecodeResultPy& r) { return r.status == DecodeStatus::ok; })
      .def_property_readonly("available",
                             [](const DecodeResultPy& r) {
                               py::array_t<bool> a(py::ssize_t(r.available.size()));
                               for (std::size_t k = 0; k < r.available.size(); ++k)
                                 a.mutable_data()[k] = r.available[k];
                               return a;
                             },
                             "bool array (K,): row k holds a value")
      .def_property_readonly("provenance", [](const DecodeResultPy& r) { return r.provenance; },
                             "list of K QueryProvenance: exact, estimated or unavailable")
      .def_property_readonly("reliability", [](const DecodeResultPy& r) { return vector_array(r.reliability); },
                             "float64 array (K,) in [0, 1]: 1 exact, (0, 1] estimated, 0 unavailable")
      .def_property_readonly("rejected_workers",
                             [](const DecodeResultPy& r) { return vector_array(r.rejected_workers); },
                             "int64 array: workers whose outputs were non-finite (dropped)")
      .def_property_readonly("flagged_workers", [](const DecodeResultPy& r) { return vector_array(r.flagged_workers); },
                             "int64 array: workers whose finite answers were found wrong and left out "
                             "(params.num_adversaries > 0), in the order found")
      .def_property_readonly("flag_scores", [](const DecodeResultPy& r) { return vector_array(r.flag_scores); },
                             "float64 array: how strongly each flagged worker was flagged")
      .def_readonly("diagnostics", &DecodeResultPy::diagnostics)
      .def("__repr__", [](const DecodeResultPy& r) {
        return message("DecodeResult(status=", nercc::to_string(r.status), ", values shape ",
                       std::string(py::str(r.values.attr("shape"))), ", exact=", r.diagnostics.queries_exact,
                       ", estimated=", r.diagnostics.queries_estimated, ", unavailable=",
                       r.diagnostics.queries_unavailable, ")");
      });

  py::class_<EncoderBase>(m, "Encoder",
                          "Encoder(scheme, params, dtype=numpy.float64)\n\n"
                          "Encodes K queries into N coded queries (row n goes to worker n). scheme: a nercc.Scheme\n"
                          "or its name ('spline', 'berrut', 'replication', 'uncoded'); params: a CodeParams\n"
                          "(copied and validated); dtype: float32 or float64. Thread-safe: encode may be called\n"
                          "from many threads at once, and releases the GIL.")
      .def(py::init(&make_codec<EncoderBase, EncoderImpl>), py::arg("scheme"), py::arg("params"),
           py::arg("dtype") = "float64")
      .def("encode", &EncoderBase::encode, py::arg("queries"), py::arg("out") = py::none(),
           "encode(queries, out=None) -> coded\n\n"
           "queries: K rows along axis 0, any trailing shape (flattened, as the xtensor interop does),\n"
           "the encoder's dtype (nercc.DTypeError otherwise: no silent casts). C-contiguous arrays and\n"
           "PyTorch CPU tensors are read in place; other layouts are copied once; lists are converted.\n"
           "Returns N rows of the same trailing shape, or writes them into `out` (C-contiguous, N rows).\n"
           "Raises nercc.ShapeMismatch, nercc.NonFiniteInput, nercc.InvalidState when params.ordering\n"
           "is set (use encode_with_order).")
      .def("encode_with_order", &EncoderBase::encode_with_order, py::arg("queries"),
           "encode_with_order(queries) -> (coded, order)\n\n"
           "As encode, under params.ordering: order[i] is the query at query point i. Pass it to\n"
           "Decoder.decode(ids, outputs, order) with the answers.")
      .def("encoding_matrix", [](py::handle self) { return self.cast<const EncoderBase&>().encoding_matrix(self); },
           "E (N x K), a read-only view: coded = E @ queries.")
      .def_property_readonly("params", [](const EncoderBase& e) { return e.params(); })
      .def_property_readonly("scheme", &EncoderBase::scheme)
      .def_property_readonly("dtype", [](const EncoderBase& e) { return dtype_object(e.real()); })
      .def_property_readonly("systematic", &EncoderBase::systematic,
                             "worker k computes query k itself (systematic layout)")
      .def_property_readonly("num_queries", [](const EncoderBase& e) { return e.params().num_queries; })
      .def_property_readonly("num_workers", [](const EncoderBase& e) { return e.params().num_workers; })
      .def("__repr__", [](const EncoderBase& e) { return codec_repr("Encoder", e); });

  py::class_<DecoderBase>(m, "Decoder",
                          "Decoder(scheme, params, dtype=numpy.float64)\n\n"
                          "Recovers estimates of the K predictions from whichever workers answered. Same arguments\n"
                          "as Encoder. Thread-safe: decode may be called from many threads at once and releases\n"
                          "the GIL; decoding matrices are cached per answered set (LRU).")
      .def(py::init(&make_codec<DecoderBase, DecoderImpl>), py::arg("scheme"), py::arg("params"),
           py::arg("dtype") = "float64")
      .def("decode", &DecoderBase::decode, py::arg("ids"), py::arg("outputs"), py::arg("order") = py::none(),
           "decode(ids, outputs, order=None) -> DecodeResult\n\n"
           "ids: the answered workers (distinct integers in [0, N), any order); outputs: one row per id\n"
           "along axis 0, any trailing shape, the decoder's dtype (read in place when C-contiguous).\n"
           "Non-finite rows are dropped and reported, never decoded. order: the order encode_with_order\n"
           "returned, when params.ordering is set. Returns values of shape (K, *trailing).")
      .def("decoding_matrix", &DecoderBase::decoding_matrix, py::arg("ids"),
           "D_F (K x len(ids), columns in the order of ids): estimates = D_F @ outputs.")
      .def_property_readonly("params", [](const DecoderBase& d) { return d.params(); })
      .def_property_readonly("scheme", &DecoderBase::scheme)
      .def_property_readonly("dtype", [](const DecoderBase& d) { return dtype_object(d.real()); })
      .def_property_readonly("systematic", &DecoderBase::systematic)
      .def_property_readonly("min_answers", &DecoderBase::min_answers, "fewest usable answers a decode accepts")
      .def_property_readonly("cached_sets", &DecoderBase::cached_sets, "answered sets in the decoding-matrix cache")
      .def_property_readonly("num_queries", [](const DecoderBase& d) { return d.params().num_queries; })
      .def_property_readonly("num_workers", [](const DecoderBase& d) { return d.params().num_workers; })
      .def("__repr__", [](const DecoderBase& d) { return codec_repr("Decoder", d); });
}

/// One Python class per curve kind over the erased curve (pybind11 binds a C++ type once).
template <class Kind>
struct Curve {
  std::unique_ptr<CurveBase> impl;
};
struct SplineKind {};
struct BerrutKind {};

template <class Kind>
py::class_<Curve<Kind>> bind_curve(py::module_& m, const char* name, const char* doc) {
  py::class_<Curve<Kind>> c(m, name, doc);
  c.def("evaluate", [](const Curve<Kind>& f, py::handle points) { return f.impl->evaluate(points); }, py::arg("points"),
        "The curve at each point (any finite reals): shape (len(points), *trailing shape of values).")
      .def_property_readonly("num_sites", [](const Curve<Kind>& f) { return f.impl->num_sites(); })
      .def_property_readonly("dimension", [](const Curve<Kind>& f) { return f.impl->dimension(); },
                             "values per site (the trailing shape's size)")
      .def_property_readonly("dtype", [](const Curve<Kind>& f) { return dtype_object(f.impl->real()); });
  return c;
}

void bind_curves(py::module_& m) {
  bind_curve<SplineKind>(m, "SmoothingSpline",
                         "SmoothingSpline(sites, values, lam=0.0, weights=None)\n\n"
                         "The natural cubic smoothing spline minimising sum_i w_i (y_i - g(t_i))^2 + lam int g''^2\n"
                         "(SciPy make_smoothing_spline's convention). sites: n distinct reals, any order; values:\n"
                         "n rows along axis 0, any trailing shape, float32 or float64 (lists: float64). lam = 0\n"
                         "interpolates, lam = inf gives the least-squares line. The fit releases the GIL.")
      .def(py::init([](py::handle sites, py::handle values, double lam, py::handle weights) {
             return Curve<SplineKind>{make_spline(sites, values, lam, weights)};
           }),
           py::arg("sites"), py::arg("values"), py::arg("lam") = 0.0, py::arg("weights") = py::none());
  bind_curve<BerrutKind>(m, "BerrutInterpolant",
                         "BerrutInterpolant(sites, values)\n\n"
                         "Berrut's rational interpolant through (sites, values): no real poles, exact at the\n"
                         "sites, O(h) convergence. Same arguments (no lam) and evaluate() as SmoothingSpline.")
      .def(py::init([](py::handle sites, py::handle values) { return Curve<BerrutKind>{make_berrut(sites, values)}; }),
           py::arg("sites"), py::arg("values"));
  m.def("spline_evaluation_matrix",
        [](py::handle sites, py::handle points, double lam) {
          const std::vector<double> t = reals_of(sites, "sites"), p = reals_of(points, "points");
          RowMatrix<double> a;
          {
            py::gil_scoped_release nogil;
            a = nercc::spline_evaluation_matrix(t, p, lam);
          }
          return adopt(std::move(a));
        },
        py::arg("sites"), py::arg("points"), py::arg("lam"),
        "A (len(points) x len(sites)): the smoothing spline with lam through (sites, y), at the points, is A @ y.");
  m.def("berrut_evaluation_matrix",
        [](py::handle sites, py::handle points) {
          const std::vector<double> t = reals_of(sites, "sites"), p = reals_of(points, "points");
          RowMatrix<double> a;
          {
            py::gil_scoped_release nogil;
            a = nercc::berrut_evaluation_matrix(t, p);
          }
          return adopt(std::move(a));
        },
        py::arg("sites"), py::arg("points"),
        "A (len(points) x len(sites)): Berrut's interpolant at the points is A @ y.");
}

void bind_points_and_ordering(py::module_& m) {
  m.attr("max_code_size") = nercc::max_code_size;
  m.attr("min_point_separation") = nercc::min_point_separation;
  m.def("chebyshev_first_kind", [](Index n) { return points_array(nercc::chebyshev_first_kind(n)); }, py::arg("n"),
        "cos((2k - 1) pi / (2n)), k = 1..n: the default query points.");
  m.def("chebyshev_second_kind", [](Index n) { return points_array(nercc::chebyshev_second_kind(n)); }, py::arg("n"),
        "cos(i pi / (n - 1)), i = 0..n-1 (exactly symmetric): the default worker points.");
  m.def("uniform_points", [](Index n) { return points_array(nercc::uniform_points(n)); }, py::arg("n"),
        "n evenly spaced points on [-1, 1].");
  m.def("clustered_worker_points",
        [](std::vector<double> query_points, Index n, double spread) {
          return points_array(nercc::clustered_worker_points(query_points, n, spread));
        },
        py::arg("query_points"), py::arg("num_workers"), py::arg("spread"),
        "The systematic layout's worker points: the query points first, then N - K companions near them.");
  m.def("order_queries",
        [](py::handle queries, nercc::OrderingMethod method, const nercc::OrderingOptions& options) {
          return visit_real(real_of_values(queries), [&](auto s) {
            using S = decltype(s);
            const Rows<S> x = rows_of<S>(queries, "queries");
            std::vector<Index> order;
            {
              py::gil_scoped_release nogil;
              order = nercc::order_queries(x.matrix(), method, options);
            }
            return vector_array(order);
          });
        },
        py::arg("queries"), py::arg("method"), py::arg("options") = nercc::OrderingOptions{},
        "The order (int64 array, a permutation of 0..K-1) in which `method` threads the queries\n"
        "(K rows, any trailing shape) so that consecutive ones are similar.");
}

void bind_tune(py::module_& m) {
  py::class_<nercc::MetricEstimate>(m, "MetricEstimate", "Mean, standard error, min and max of per-trial values.")
      .def_readonly("mean", &nercc::MetricEstimate::mean)
      .def_readonly("std_error", &nercc::MetricEstimate::std_error)
      .def_readonly("min", &nercc::MetricEstimate::min)
      .def_readonly("max", &nercc::MetricEstimate::max)
      .def_readonly("trials", &nercc::MetricEstimate::trials)
      .def("__repr__", [](const nercc::MetricEstimate& e) {
        return message("MetricEstimate(mean=", e.mean, ", std_error=", e.std_error, ", trials=", e.trials, ")");
      });
  using nercc::TuneParams;
  Record<TuneParams>(m, "TuneParams", "Parameters of tune_lambdas (C++ nercc::TuneParams); keyword arguments only.")
      .field("code", &TuneParams::code, "the code to tune (its lambdas are ignored)")
      .field("scheme", &TuneParams::scheme, "spline (tuned) or berrut (evaluated at (0, 0))")
      .field("stragglers", &TuneParams::stragglers, "straggler counts to tune for")
      .field("straggler_weights", &TuneParams::straggler_weights, "P(S = stragglers[i]); empty: uniform")
      .field("metric", &TuneParams::metric, "mse or rel_acc")
      .field("seed", &TuneParams::seed, "seed of the calibration draws")
      .field("batches", &TuneParams::batches, "calibration batches of K queries")
      .field("answered_sets", &TuneParams::answered_sets, "random answered sets per batch")
      .field("lambda_min", &TuneParams::lambda_min, "smallest positive lambda of the grid")
      .field("lambda_max", &TuneParams::lambda_max, "largest lambda of the grid")
      .field("grid_points", &TuneParams::grid_points, "positive grid values per axis")
      .field("refine_rounds", &TuneParams::refine_rounds, "refinement rounds")
      .field("refine_points", &TuneParams::refine_points, "values added per side per round")
      .field("max_model_calls", &TuneParams::max_model_calls, "budget of model calls")
      .field("worker_spreads", &TuneParams::worker_spreads, "clustered worker point spreads to search")
      .field("systematic", &TuneParams::systematic, "keep the code systematic (needs worker_spreads)")
      .finish(&validate<TuneParams>)
      .def("validate", &TuneParams::validate);
  py::class_<nercc::TuneEntry>(m, "TuneEntry", "One evaluated (lambda_enc, lambda_dec) pair.")
      .def_readonly("lambda_enc", &nercc::TuneEntry::lambda_enc)
      .def_readonly("lambda_dec", &nercc::TuneEntry::lambda_dec)
      .def_readonly("mse", &nercc::TuneEntry::mse)
      .def_readonly("rel_acc", &nercc::TuneEntry::rel_acc)
      .def_readonly("round", &nercc::TuneEntry::round)
      .def_readonly("worker_spread", &nercc::TuneEntry::worker_spread);
  py::class_<nercc::TuneResult>(m, "TuneResult", "What tune_lambdas found.")
      .def_readonly("lambda_enc", &nercc::TuneResult::lambda_enc)
      .def_readonly("lambda_dec", &nercc::TuneResult::lambda_dec)
      .def_readonly("mse", &nercc::TuneResult::mse)
      .def_readonly("rel_acc", &nercc::TuneResult::rel_acc)
      .def_readonly("worker_spread", &nercc::TuneResult::worker_spread)
      .def_readonly("table", &nercc::TuneResult::table)
      .def_readonly("code", &nercc::TuneResult::code, "TuneParams.code with the tuned lambdas")
      .def_readonly("model_calls", &nercc::TuneResult::model_calls)
      .def_readonly("trials", &nercc::TuneResult::trials)
      .def("__repr__", [](const nercc::TuneResult& r) {
        return message("TuneResult(lambda_enc=", r.lambda_enc, ", lambda_dec=", r.lambda_dec, ", mse=", r.mse.mean,
                       ", rel_acc=", r.rel_acc.mean, ", model_calls=", r.model_calls, ")");
      });
  m.def("tune_lambdas", &tune, py::arg("params"), py::arg("calibration"), py::arg("model"),
        "tune_lambdas(params, calibration, model) -> TuneResult\n\n"
        "Tunes (lambda_enc, lambda_dec) jointly for `model` on calibration queries (rows, float32 or\n"
        "float64). model(inputs) gets a (rows x d) array and returns one output row per input row\n"
        "(any array-like; converted to the calibration's dtype). The search runs with the GIL\n"
        "released; the model is called on the calling thread with the GIL held, and its\n"
        "exceptions propagate unchanged.");
}

void bind_plan(py::module_& top) {
  namespace pl = nercc::plan;
  py::module_ m =
      top.def_submodule("plan", "The planner: plan() the cheapest configuration that meets an SLO; simulate() it.");
  py::enum_<pl::Binding>(m, "Binding", "The constraint that leaves nothing feasible.")
      .value("none", pl::Binding::none)
      .value("accuracy", pl::Binding::accuracy)
      .value("pool_size", pl::Binding::pool_size)
      .value("latency", pl::Binding::latency);
  Record<pl::CodecCost>(m, "CodecCost", "Front-end time to encode or decode one batch: fixed + per_element * K N b.")
      .field("fixed_seconds", &pl::CodecCost::fixed_seconds, "")
      .field("per_element_seconds", &pl::CodecCost::per_element_seconds, "")
      .finish();
  Record<pl::BatchLatency>(m, "BatchLatency", "Profiled latency of one worker batch size (seconds).")
      .field("batch_size", &pl::BatchLatency::batch_size, "")
      .field("median", &pl::BatchLatency::median, "")
      .field("lower_quartile", &pl::BatchLatency::lower_quartile, "")
      .field("upper_quartile", &pl::BatchLatency::upper_quartile, "")
      .field("min", &pl::BatchLatency::min, "")
      .field("max", &pl::BatchLatency::max, "")
      .field("seconds", &pl::BatchLatency::seconds, "the timed calls")
      .finish();
  Record<pl::PlanGrid>(m, "PlanGrid", "The configurations plan() enumerates (C++ nercc::plan::PlanGrid).")
      .field("schemes", &pl::PlanGrid::schemes, "")
      .field("num_queries", &pl::PlanGrid::num_queries, "K values")
      .field("max_redundancy", &pl::PlanGrid::max_redundancy, "N <= floor(max_redundancy K)")
      .field("max_workers_per_set", &pl::PlanGrid::max_workers_per_set, "")
      .field("batch_sizes", &pl::PlanGrid::batch_sizes, "empty: every profiled size")
      .field("quorums", &pl::PlanGrid::quorums, "")
      .field("deadline_levels", &pl::PlanGrid::deadline_levels, "")
      .field("early_release", &pl::PlanGrid::early_release, "")
      .field("hedge_levels", &pl::PlanGrid::hedge_levels, "")
      .finish();
  Record<pl::FallbackModel>(m, "FallbackModel", "A cheap model answering what deadline plans leave unanswered.")
      .field("rel_acc", &pl::FallbackModel::rel_acc, "agreement with the served model; NaN: unknown")
      .field("mse", &pl::FallbackModel::mse, "MSE per output against the served model; NaN: unknown")
      .field("seconds", &pl::FallbackModel::seconds, "")
      .finish();
  Record<pl::RobustDecodeCost>(m, "RobustDecodeCost", "The robust decode's time as a multiple of the plain decode's.")
      .field("spline_factor", &pl::RobustDecodeCost::spline_factor, "")
      .field("berrut_factor", &pl::RobustDecodeCost::berrut_factor, "")
      .finish();
  Record<pl::PlanRequest>(m, "PlanRequest", "What plan() must satisfy and the measurements it plans from.")
      .field("arrival_rate", &pl::PlanRequest::arrival_rate, "queries per second")
      .field("slo_quantile", &pl::PlanRequest::slo_quantile, "")
      .field("slo_seconds", &pl::PlanRequest::slo_seconds, "")
      .field("accuracy_floor", &pl::PlanRequest::accuracy_floor, "RelAcc floor; <= 0: unconstrained")
      .field("max_mse", &pl::PlanRequest::max_mse, "MSE ceiling per output element; inf: unconstrained")
      .field("num_adversaries", &pl::PlanRequest::num_adversaries, "wrong answers every group must outvote")
      .field("robust_decode", &pl::PlanRequest::robust_decode, "RobustDecodeCost")
      .field("worker_price", &pl::PlanRequest::worker_price, "")
      .field("pool_size", &pl::PlanRequest::pool_size, "")
      .field("profile", &pl::PlanRequest::profile, "list of BatchLatency")
      .field("encode", &pl::PlanRequest::encode, "CodecCost")
      .field("decode", &pl::PlanRequest::decode, "CodecCost")
      .field("max_utilisation", &pl::PlanRequest::max_utilisation, "")
      .field("runners_up", &pl::PlanRequest::runners_up, "")
      .field("grid", &pl::PlanRequest::grid, "PlanGrid")
      .field("fallback", &pl::PlanRequest::fallback, "FallbackModel")
      .field("concurrent_workers", &pl::PlanRequest::concurrent_workers,
             "workers serve overlapping calls without slowing them: one worker set suffices")
      .finish()  // filled in steps (profile first); plan() and simulate() validate it
      .def("validate", &pl::PlanRequest::validate);
  Record<pl::AccuracyEntry>(m, "AccuracyEntry", "One measured configuration (RelAcc, MSE with `answers` answers).")
      .field("scheme", &pl::AccuracyEntry::scheme, "")
      .field("num_queries", &pl::AccuracyEntry::num_queries, "")
      .field("num_workers", &pl::AccuracyEntry::num_workers, "")
      .field("answers", &pl::AccuracyEntry::answers, "")
      .field("rel_acc", &pl::AccuracyEntry::rel_acc, "")
      .field("rel_acc_std_error", &pl::AccuracyEntry::rel_acc_std_error, "")
      .field("mse", &pl::AccuracyEntry::mse, "")
      .field("lambda_enc", &pl::AccuracyEntry::lambda_enc, "")
      .field("lambda_dec", &pl::AccuracyEntry::lambda_dec, "")
      .field("ordering", &pl::AccuracyEntry::ordering, "")
      .field("worker_spread", &pl::AccuracyEntry::worker_spread, "")
      .finish();
  py::class_<pl::AccuracyTable>(m, "AccuracyTable", "RelAcc/MSE per (scheme, K, N, answers).")
      .def(py::init<>())
      .def("add", &pl::AccuracyTable::add, py::arg("entry"), "Adds or replaces the entry of (scheme, K, N, answers).")
      .def("lookup", &pl::AccuracyTable::lookup, py::arg("scheme"), py::arg("num_queries"), py::arg("num_workers"),
           py::arg("answers"), "The entry for `answers` answers (conservatively), or None.")
      .def("entries", [](const pl::AccuracyTable& t) {
        std::vector<pl::AccuracyEntry> out;
        for (const auto& kv : t.entries()) out.push_back(kv.second);
        return out;
      });
  py::class_<pl::StragglerModel>(m, "StragglerModel",
                                 "A worker response-time law (in units of the profiled latency). Build one with\n"
                                 "shifted_exponential, bimodal, log_normal or empirical.")
      .def_static("shifted_exponential",
                  [](double shift, double rate) {
                    return pl::StragglerModel(pl::ShiftedExponentialModel(pl::ShiftedExponentialParams{shift, rate}));
                  },
                  py::arg("shift") = 0.0, py::arg("rate") = 1.0)
      .def_static("bimodal",
                  [](double fast_shift, double fast_rate, double slow_shift, double slow_rate,
                     double slow_probability) {
                    pl::BimodalParams p;
                    p.fast = {fast_shift, fast_rate};
                    p.slow = {slow_shift, slow_rate};
                    p.slow_probability = slow_probability;
                    return pl::StragglerModel(pl::BimodalModel(p));
                  },
                  py::arg("fast_shift") = 1.0, py::arg("fast_rate") = 1.0, py::arg("slow_shift") = 5.0,
                  py::arg("slow_rate") = 0.25, py::arg("slow_probability") = 0.1)
      .def_static("log_normal",
                  [](double shift, double mu, double sigma) {
                    return pl::StragglerModel(pl::LogNormalModel(pl::LogNormalParams{shift, mu, sigma}));
                  },
                  py::arg("shift") = 0.0, py::arg("mu") = 0.0, py::arg("sigma") = 0.5)
      .def_static("empirical",
                  [](std::vector<double> samples) {
                    return pl::StragglerModel(pl::EmpiricalModel(std::move(samples)));
                  },
                  py::arg("samples"))
      .def("cdf", &pl::StragglerModel::cdf, py::arg("t"))
      .def("quantile", &pl::StragglerModel::quantile, py::arg("p"));
  Record<pl::Plan>(m, "Plan", "One configuration with its predictions (C++ nercc::plan::Plan).")
      .field("scheme", &pl::Plan::scheme, "")
      .field("num_queries", &pl::Plan::num_queries, "K")
      .field("num_workers", &pl::Plan::num_workers, "N per set")
      .field("batch_size", &pl::Plan::batch_size, "b")
      .field("quorum", &pl::Plan::quorum, "")
      .field("deadline", &pl::Plan::deadline, "> 0: the deadline rule (seconds)")
      .field("failure", &pl::Plan::failure, "")
      .field("early_release", &pl::Plan::early_release, "")
      .field("fallback", &pl::Plan::fallback, "")
      .field("hedge_delay", &pl::Plan::hedge_delay, "")
      .field("worker_sets", &pl::Plan::worker_sets, "")
      .field("total_workers", &pl::Plan::total_workers, "")
      .field("cost", &pl::Plan::cost, "")
      .field("p50", &pl::Plan::p50, "")
      .field("p_slo", &pl::Plan::p_slo, "")
      .field("p99", &pl::Plan::p99, "")
      .field("mean_service", &pl::Plan::mean_service, "")
      .field("utilisation", &pl::Plan::utilisation, "")
      .field("rel_acc", &pl::Plan::rel_acc, "")
      .field("mse", &pl::Plan::mse, "")
      .field("num_adversaries", &pl::Plan::num_adversaries, "wrong answers it outvotes")
      .field("lambda_enc", &pl::Plan::lambda_enc, "")
      .field("lambda_dec", &pl::Plan::lambda_dec, "")
      .field("ordering", &pl::Plan::ordering, "")
      .field("worker_spread", &pl::Plan::worker_spread, "")
      .field("explanation", &pl::Plan::explanation, "")
      .finish();
  py::class_<pl::PlanResult>(m, "PlanResult", "plan()'s answer: the cheapest plan first, then the runners-up.")
      .def_readonly("plans", &pl::PlanResult::plans)
      .def_readonly("binding", &pl::PlanResult::binding)
      .def_readonly("message", &pl::PlanResult::message)
      .def_readonly("candidates", &pl::PlanResult::candidates)
      .def_readonly("latency_evaluations", &pl::PlanResult::latency_evaluations);
  Record<pl::SimulateParams>(m, "SimulateParams", "Parameters of simulate().")
      .field("batches", &pl::SimulateParams::batches, "")
      .field("warmup", &pl::SimulateParams::warmup, "")
      .field("seed", &pl::SimulateParams::seed, "")
      .finish();
  py::class_<pl::SimulationResult>(m, "SimulationResult",
                                   "Simulated query latency quantiles (seconds) and utilisation.")
      .def_readonly("p50", &pl::SimulationResult::p50)
      .def_readonly("p_slo", &pl::SimulationResult::p_slo)
      .def_readonly("p99", &pl::SimulationResult::p99)
      .def_readonly("mean", &pl::SimulationResult::mean)
      .def_readonly("failed", &pl::SimulationResult::failed)
      .def_readonly("fallback", &pl::SimulationResult::fallback)
      .def_readonly("mean_queue_wait", &pl::SimulationResult::mean_queue_wait)
      .def_readonly("utilisation", &pl::SimulationResult::utilisation)
      .def_readonly("queries", &pl::SimulationResult::queries);
  m.def("plan", &pl::plan, py::arg("request"), py::arg("model"), py::arg("accuracy"),
        py::call_guard<py::gil_scoped_release>(),
        "plan(request, model, accuracy) -> PlanResult: the cheapest configuration meeting the SLO and the\n"
        "accuracy floor (exhaustive search; releases the GIL).");
  m.def("simulate", &pl::simulate, py::arg("plan"), py::arg("request"), py::arg("model"),
        py::arg("params") = pl::SimulateParams{}, py::call_guard<py::gil_scoped_release>(),
        "simulate(plan, request, model, params=SimulateParams()) -> SimulationResult (releases the GIL).");
}

}  // namespace
}  // namespace nercc_python

PYBIND11_MODULE(_nercc, m) {
  using namespace nercc_python;
  m.doc() = "nercc: coded straggler tolerance for prediction serving (C++ core, Python binding).";
  m.attr("__version__") = message(NERCC_VERSION_MAJOR, ".", NERCC_VERSION_MINOR, ".", NERCC_VERSION_PATCH);
  bind_exceptions(m);
  bind_enums(m);
  bind_params(m);
  bind_codecs(m);
  bind_curves(m);
  bind_points_and_ordering(m);
  bind_tune(m);
  bind_plan(m);
}
