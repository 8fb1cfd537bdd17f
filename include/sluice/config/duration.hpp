#pragma once
// Durations and byte sizes as written in sluice.yaml ("30s", "64kB").

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::config {

using Duration = std::chrono::milliseconds;  // 0 = disabled

// Longest accepted duration: one year keeps every deadline far from clock overflow.
inline constexpr Duration max_duration = std::chrono::hours(24 * 365);

// Parses "250ms", "30s", "5m", "1h" or "0". A bare number other than 0 is an error
// whose text tells which unit to add; on failure `error` holds the reason.
std::optional<Duration> parse_duration(std::string_view text, std::string& error);

// Writes the largest unit that is exact: 250ms, 30s, 5m, 1h; zero is "0".
std::string format_duration(Duration duration);

// Parses a byte count: a bare number of bytes, or a number with B, kB, MB or GB
// (case-insensitive; KiB/MiB/GiB also accepted). Units are powers of 1024, as in PostgreSQL.
std::optional<std::uint64_t> parse_byte_size(std::string_view text, std::string& error);

// Writes the largest exact unit: 1GB, 512MB, 64kB, 100B.
std::string format_byte_size(std::uint64_t bytes);

}  // namespace sluice::config
