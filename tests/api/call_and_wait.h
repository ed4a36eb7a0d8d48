// Driving an asynchronous operation (EcsOperations, NetworkOperations, AgentOperations)
// from a test: call it and wait, bounded, for its `done` callback.
#pragma once

#include <memory>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "gtest/gtest.h"

namespace gantry::api::test {

inline constexpr absl::Duration kReplyTimeout = absl::Seconds(30);

// What an operation handed to its callback, and where.
template <typename Response>
struct Reply {
  absl::StatusOr<Response> result = absl::DeadlineExceededError("no reply within the timeout");
  bool on_calling_thread = false;
  int calls = 0;
};

// The caller tests act as unless they say otherwise: an admin key of the provider's
// default account (000000000000), which may call every operation.
inline Caller AdminCaller() {
  return {.account_id = "000000000000", .role = Caller::Role::kAdmin, .access_key_id = "AKIATEST"};
}

template <typename Operations, typename Request, typename Response>
using Method = void (Operations::*)(const Caller&, const Request&, Done<Response>);

// Calls `method` as `caller` and waits (bounded) for its callback. The state is shared
// with the callback so a late reply after a timeout touches nothing that is gone.
template <typename Operations, typename Request, typename Response>
Reply<Response> CallAndWait(Operations& operations, const Caller& caller,
                            Method<Operations, Request, Response> method, const Request& request) {
  struct State {
    absl::Mutex mu;
    absl::Notification done;
    Reply<Response> reply;
  };
  auto state = std::make_shared<State>();
  const std::thread::id thread = std::this_thread::get_id();
  (operations.*method)(caller, request, [state, thread](absl::StatusOr<Response> result) {
    absl::MutexLock lock(&state->mu);
    if (++state->reply.calls > 1) return;
    state->reply.result = std::move(result);
    state->reply.on_calling_thread = std::this_thread::get_id() == thread;
    state->done.Notify();
  });
  state->done.WaitForNotificationWithTimeout(kReplyTimeout);
  absl::MutexLock lock(&state->mu);
  return state->reply;
}

// As the admin caller.
template <typename Operations, typename Request, typename Response>
Reply<Response> CallAndWait(Operations& operations, Method<Operations, Request, Response> method,
                            const Request& request) {
  return CallAndWait(operations, AdminCaller(), method, request);
}

// CallAndWait's result, checking that the callback ran exactly once.
template <typename Operations, typename Request, typename Response>
absl::StatusOr<Response> CallOnce(Operations& operations, const Caller& caller,
                                  Method<Operations, Request, Response> method,
                                  const Request& request) {
  Reply<Response> reply = CallAndWait(operations, caller, method, request);
  EXPECT_EQ(reply.calls, 1) << "done must be called exactly once";
  return std::move(reply.result);
}

// As the admin caller.
template <typename Operations, typename Request, typename Response>
absl::StatusOr<Response> CallOnce(Operations& operations,
                                  Method<Operations, Request, Response> method,
                                  const Request& request) {
  return CallOnce(operations, AdminCaller(), method, request);
}

}  // namespace gantry::api::test
