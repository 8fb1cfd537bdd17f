#pragma once
// The Asio vocabulary used across Sluice: coroutines that report errors as values.
#include <boost/asio.hpp>
#include <chrono>

namespace sluice {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

template <class T = void>
using awaitable = asio::awaitable<T>;

// Completion token for the data plane: (error_code, result...) tuples instead of exceptions.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

}  // namespace sluice
