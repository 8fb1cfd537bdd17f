#pragma once
// The Asio vocabulary used across Sluice: coroutines that report errors as values.
#include <boost/asio.hpp>
#include <chrono>

namespace sluice {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
// A socket that lives on one I/O worker for good (every client connection): its executor is the
// worker's io_context, 8 bytes and no type-erased dispatch per operation, where tcp::socket's
// any_io_executor is 56 bytes, carried by every idle client.
using WorkerSocket = asio::basic_stream_socket<tcp, asio::io_context::executor_type>;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

template <class T = void>
using awaitable = asio::awaitable<T>;

// Completion token for the data plane: (error_code, result...) tuples instead of exceptions.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

}  // namespace sluice
