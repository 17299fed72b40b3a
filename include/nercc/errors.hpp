// The exception hierarchy for misuse. Numerical outcomes (too few answers, non-finite worker
// outputs) are not exceptions: they are reported in DecodeResult.
#pragma once

#include <nercc/config.hpp>

#include <sstream>
#include <stdexcept>
#include <string>

NERCC_NAMESPACE_BEGIN

/// Stable numeric identifiers of the error kinds, for logs and for bindings.
enum class error_id : int {
  invalid_argument = 101,  ///< a parameter or argument value is invalid
  shape_mismatch = 102,    ///< a matrix or tensor has the wrong shape
  non_finite_input = 103,  ///< a query input holds NaN or infinity
  invalid_state = 201,     ///< an operation is not allowed in the object's current state
};

/// Base of every exception nercc throws. what() reads "nercc::<kind>: <message>".
class error : public std::runtime_error {
 public:
  error(error_id id, const char* kind, const std::string& message)
      : std::runtime_error(std::string("nercc::") + kind + ": " + message), id_(id) {}
  error_id id() const noexcept { return id_; }

 private:
  error_id id_;
};

/// A parameter or argument has an invalid value; the message names it and the value.
class invalid_argument : public error {
 public:
  explicit invalid_argument(const std::string& message)
      : error(error_id::invalid_argument, "invalid_argument", message) {}

 protected:
  invalid_argument(error_id id, const char* kind, const std::string& message) : error(id, kind, message) {}
};

/// A matrix or tensor argument has the wrong number of rows, columns or dimensions.
class shape_mismatch : public invalid_argument {
 public:
  explicit shape_mismatch(const std::string& message)
      : invalid_argument(error_id::shape_mismatch, "shape_mismatch", message) {}
};

/// A query input holds NaN or infinity, or finite queries encode to an infinite coded row (their
/// combination overflows the scalar type). Worker outputs are never thrown for: they are dropped.
class non_finite_input : public invalid_argument {
 public:
  explicit non_finite_input(const std::string& message)
      : invalid_argument(error_id::non_finite_input, "non_finite_input", message) {}
};

/// An operation is not allowed in the object's current state (for example after shutdown).
class invalid_state : public error {
 public:
  explicit invalid_state(const std::string& message) : error(error_id::invalid_state, "invalid_state", message) {}
};

namespace detail {
/// Concatenates its arguments with operator<< (messages are built only on the error path).
template <class... Args>
std::string message(const Args&... args) {
  std::ostringstream s;
  s.precision(17);
  (s << ... << args);
  return s.str();
}
}  // namespace detail

NERCC_NAMESPACE_END
