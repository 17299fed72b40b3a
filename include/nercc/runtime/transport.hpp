// The transport contract: how the runtime hands coded queries to the user's workers and gets
// their answers back (Completion), cancels calls (CancelHandle), and checks a transport's type.
#pragma once

#include <nercc/config.hpp>
#include <nercc/index.hpp>
#include <nercc/runtime/group_log.hpp>
#include <nercc/types.hpp>

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

NERCC_NAMESPACE_BEGIN
namespace runtime {

namespace detail {
/// The runtime's side of one call; the first resolution wins, later ones are ignored.
template <class S>
struct CallTarget {
  virtual ~CallTarget() = default;
  /// `output` is null unless `state` is answered.
  virtual void resolve(CallState state, const RowMatrix<S>* output) = 0;
  virtual Index worker() const = 0;
};
template <class S>
struct Core;
}  // namespace detail

/// The completion handed to an asynchronous transport with each call. Call it once with the
/// worker's output (one row of output_dim per row of the call's coded input), or fail() once;
/// later calls are ignored. Copies share one call. Thread-safe: may be called from any thread,
/// during or after the transport call, even after the Runtime is destroyed (the answer is then
/// counted as late and dropped).
template <class S>
class Completion {
 public:
  /// Delivers the worker's output. Wrong shapes and non-finite values are counted and dropped.
  void operator()(const Eigen::Ref<const RowMatrix<S>>& output) const {
    const RowMatrix<S> y = output;
    target_->resolve(CallState::answered, &y);
  }
  /// Reports that the call failed (the worker is then no longer awaited for this group).
  void fail() const { target_->resolve(CallState::failed, nullptr); }
  /// The worker this call went to.
  Index worker() const { return target_->worker(); }

 private:
  explicit Completion(std::shared_ptr<detail::CallTarget<S>> target) : target_(std::move(target)) {}
  std::shared_ptr<detail::CallTarget<S>> target_;
  friend struct detail::Core<S>;
};

/// Cancels an outstanding call; the runtime invokes it at most once, when the call's group is
/// decoded before the call answered. An empty handle means "cannot cancel".
using CancelHandle = std::function<void()>;

namespace detail {

template <class T, class S, class = void>
struct is_async_transport : std::false_type {};
template <class T, class S>
struct is_async_transport<
    T, S, std::void_t<std::invoke_result_t<T&, Index, const Eigen::Ref<const RowMatrix<S>>&, Completion<S>>>>
    : std::is_convertible<std::invoke_result_t<T&, Index, const Eigen::Ref<const RowMatrix<S>>&, Completion<S>>,
                          CancelHandle> {};

template <class T, class S, class = void>
struct is_sync_transport : std::false_type {};
template <class T, class S>
struct is_sync_transport<T, S, std::void_t<std::invoke_result_t<T&, Index, const Eigen::Ref<const RowMatrix<S>>&>>>
    : std::is_convertible<std::invoke_result_t<T&, Index, const Eigen::Ref<const RowMatrix<S>>&>, RowMatrix<S>> {};

}  // namespace detail
}  // namespace runtime
NERCC_NAMESPACE_END
