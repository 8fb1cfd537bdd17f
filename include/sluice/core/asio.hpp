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

// Every coroutine runs on one worker's io_context, so its executor is that concrete type: each
// resumption then dispatches without type erasure (no any_executor copy, target compare or
// heap-held function per completion), which Asio's default any_io_executor would cost.
using WorkerExecutor = asio::io_context::executor_type;

template <class T = void>
using awaitable = asio::awaitable<T, WorkerExecutor>;

// A timer of one worker, for the same reason.
using WorkerTimer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, WorkerExecutor>;

inline constexpr asio::use_awaitable_t<WorkerExecutor> use_awaitable{};
// Completion token for the data plane: (error_code, result...) tuples instead of exceptions.
inline constexpr auto use_nothrow = asio::as_tuple(use_awaitable);

}  // namespace sluice
