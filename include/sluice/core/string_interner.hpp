#pragma once
// Shares equal immutable strings between the clients that hold them. Clients of one application
// send the same startup values (application name, encoding, DateStyle, time zone), and an idle
// client should not carry its own copy of what ten thousand others also hold.
//
// A string lives while some client holds it; the table keeps only a weak reference and its own
// key, so nothing here dangles whatever is freed first. Expired entries are swept when the
// table has doubled since the last sweep. Called at login and when a client goes idle, never
// per message, so one lock is enough.
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace sluice::core {

class StringInterner {
 public:
  // The shared string equal to `text`: the one clients already hold, if any is still alive.
  std::shared_ptr<const std::string> intern(std::string_view text);
  std::size_t size() const;  // entries, live or not yet swept (for tests)

 private:
  void sweep_locked();

  mutable std::mutex mutex_;
  std::map<std::string, std::weak_ptr<const std::string>, std::less<>> strings_;
  std::size_t sweep_at_ = 64;
};

}  // namespace sluice::core
