#pragma once
// A time limit around one coroutine: Asio 1.24 has no cancel_after, so a timer races the work
// and the loser is cancelled.
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <optional>
#include <variant>

#include "sluice/core/asio.hpp"

namespace sluice {

// The work's result, or nullopt if `limit` passed first. A limit of 0 means none.
template <class T>
awaitable<std::optional<T>> within(std::chrono::milliseconds limit, awaitable<T> work) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  // A day stands in for "never" without overflowing the clock.
  deadline.expires_after(limit.count() > 0 ? limit : std::chrono::milliseconds(std::chrono::hours(24)));
  auto outcome = co_await (std::move(work) || deadline.async_wait(use_nothrow));
  if (outcome.index() == 1) co_return std::nullopt;
  co_return std::get<0>(std::move(outcome));
}

}  // namespace sluice
