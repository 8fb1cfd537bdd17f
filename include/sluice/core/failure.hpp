#pragma once
// Data-plane error reporting without exceptions: every refusal or disconnect carries
// the reason (a config key or a fixed word), the SQLSTATE the client sees, and a message.
#include <string>
#include <utility>
#include <variant>

namespace sluice {

struct Failure {
  std::string reason;    // config key that tripped ("query_wait_timeout") or a fixed word ("server_lost")
  std::string sqlstate;  // PostgreSQL SQLSTATE; the MySQL front end maps it to its own codes
  std::string message;   // client-visible message
};

// A value or the Failure that prevented it; a small stand-in for C++23 std::expected.
template <class T>
class Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}
  Expected(Failure failure) : state_(std::move(failure)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(state_); }
  T& operator*() { return value(); }
  T* operator->() { return &value(); }
  const Failure& failure() const { return std::get<1>(state_); }

 private:
  std::variant<T, Failure> state_;
};

// For operations that produce nothing but may fail.
struct Done {};
using Status = Expected<Done>;
inline Status ok_status() { return Done{}; }

}  // namespace sluice
