// Feeds fuzz input to the daemon's own login machines the way a session's reads would:
// exactly the bytes a machine asks for, until it wants a decision or the input runs out.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>


namespace sluice::fuzz {

// The first event that is not need_input, or need_input once `input` is used up (the peer
// went away). Consumes what it fed from `input`. Login: pg::ClientLogin or pg::ServerLogin.
template <class Login>
auto feed_login(Login& login, std::span<const std::uint8_t>& input) {
  for (;;) {
    const auto event = login.next();
    if (event != decltype(event)::need_input || input.empty()) return event;
    const auto wanted = login.input();
    const std::size_t count = std::min(wanted.size(), input.size());
    std::memcpy(wanted.data(), input.data(), count);
    login.received(count);
    input = input.subspan(count);
  }
}

}  // namespace sluice::fuzz
