// Plain parameter structs (CodeParams, TuneParams, PlanRequest, ...) as Python classes: fields
// read-write, a keyword-argument constructor that checks the names and the types, a repr, ==.
#pragma once

#include <pybind11/pybind11.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nercc_python {

namespace py = pybind11;

template <class T>
class Record {
 public:
  Record(py::handle scope, const char* name, const char* doc)
      : cls_(scope, name, doc), name_(name), fields_(std::make_shared<std::vector<std::string>>()) {}

  template <class M>
  Record& field(const char* name, M T::*member, const char* doc) {
    cls_.def_readwrite(name, member, doc);
    fields_->push_back(name);
    return *this;
  }

  /// Adds __init__(**fields), __repr__ and __eq__; `validate` (may be null) runs after the
  /// keyword arguments are set.
  py::class_<T>& finish(void (*validate)(const T&) = nullptr) {
    const auto fields = fields_;
    const std::string type_name = name_;
    cls_.def(py::init([fields, type_name, validate](const py::kwargs& kwargs) {
               py::object obj = py::cast(T{});
               for (const auto& item : kwargs) {
                 const std::string key = py::str(item.first);
                 if (std::find(fields->begin(), fields->end(), key) == fields->end())
                   throw py::type_error(type_name + "() got an unexpected keyword argument '" + key + "'");
                 try {
                   py::setattr(obj, key.c_str(), item.second);
                 } catch (py::error_already_set& e) {
                   if (!e.matches(PyExc_TypeError)) throw;
                   throw py::type_error(type_name + "(): " + key + " cannot be " +
                                        std::string(py::repr(item.second)) + " (wrong type)");
                 }
               }
               T value = obj.cast<T>();
               if (validate) validate(value);
               return value;
             }),
             ("Keyword arguments set the fields of the same name; the others keep their defaults." +
              std::string(validate ? " Validated: nercc.InvalidArgument names the first bad field." : ""))
                 .c_str());
    cls_.def("__repr__", [fields, type_name](py::handle self) {
      std::string s = type_name + "(";
      for (std::size_t i = 0; i < fields->size(); ++i)
        s += (i ? ", " : "") + (*fields)[i] + "=" + std::string(py::repr(self.attr((*fields)[i].c_str())));
      return s + ")";
    });
    cls_.def("__eq__", [fields](py::handle self, py::handle other) {
      if (!py::type::of(self).is(py::type::of(other))) return false;
      for (const std::string& f : *fields)
        if (!self.attr(f.c_str()).equal(other.attr(f.c_str()))) return false;
      return true;
    });
    cls_.attr("__hash__") = py::none();
    return cls_;
  }

  py::class_<T>& cls() { return cls_; }

 private:
  py::class_<T> cls_;
  std::string name_;
  std::shared_ptr<std::vector<std::string>> fields_;
};

}  // namespace nercc_python
