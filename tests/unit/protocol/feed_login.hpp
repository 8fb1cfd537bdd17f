// Feeds bytes to a login machine (pg::ClientLogin or pg::ServerLogin), at most `step` at a
// time, until it wants a decision or the bytes run out (then need_input).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string_view>

template <class Login>
auto feed(Login& login, std::string_view bytes, std::size_t step = SIZE_MAX) {
  for (;;) {
    const auto event = login.next();
    if (event != decltype(event)::need_input || bytes.empty()) return event;
    auto input = login.input();
    const std::size_t count = std::min({input.size(), bytes.size(), step});
    std::memcpy(input.data(), bytes.data(), count);
    login.received(count);
    bytes.remove_prefix(count);
  }
}
