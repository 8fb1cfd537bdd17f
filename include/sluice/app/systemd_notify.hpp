#pragma once
// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET per state change
// (READY=1 once listening, RELOADING=1 / READY=1 around a reload, STOPPING=1).
#include <string>
#include <string_view>

namespace sluice::app {

class SystemdNotifier {
 public:
  SystemdNotifier();  // reads NOTIFY_SOCKET; does nothing when it is unset
  void ready() const;
  void reloading() const;  // RELOADING=1 with MONOTONIC_USEC (systemd 253+ checks it)
  void stopping() const;
  void status(std::string_view text) const;

 private:
  void send(const std::string& message) const;
  std::string socket_path_;
};

}  // namespace sluice::app
