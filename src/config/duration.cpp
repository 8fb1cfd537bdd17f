#include "sluice/config/duration.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>

namespace sluice::config {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t factor;
};

// Largest first, so formatting picks the biggest exact unit.
constexpr std::array<Unit, 4> duration_units{{{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

constexpr std::array<Unit, 7> size_units{{{"gb", 1ULL << 30},
                                          {"gib", 1ULL << 30},
                                          {"mb", 1ULL << 20},
                                          {"mib", 1ULL << 20},
                                          {"kb", 1ULL << 10},
                                          {"kib", 1ULL << 10},
                                          {"b", 1}}};

// The leading run of digits and whatever follows it ("30s" -> 30, "s").
struct NumberAndUnit {
  std::uint64_t number = 0;
  std::string_view unit;
};

std::optional<NumberAndUnit> split_number(std::string_view text, bool& overflow) {
  NumberAndUnit result;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, result.number);
  overflow = ec == std::errc::result_out_of_range;
  if (ec != std::errc{}) return std::nullopt;
  result.unit = std::string_view(rest, static_cast<std::size_t>(end - rest));
  return result;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

template <std::size_t N>
const Unit* find_unit(const std::array<Unit, N>& units, std::string_view name) {
  for (const Unit& unit : units) {
    if (unit.name == name) return &unit;
  }
  return nullptr;
}

bool multiply_fits(std::uint64_t number, std::uint64_t factor, std::uint64_t limit) {
  return number <= limit / factor;
}

std::string bare_number_hint(std::string_view text) {
  std::string number(text);
  return "duration '" + number + "' needs a unit: write " + number + "s for seconds or " + number +
         "ms for milliseconds (units: ms, s, m, h)";
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text, std::string& error) {
  const std::string shown(text);
  if (text.empty()) {
    error = "empty duration: write a number with a unit, like 250ms, 30s, 5m or 1h";
    return std::nullopt;
  }
  if (text.front() == '-') {
    error = "duration '" + shown + "' must not be negative (0 disables)";
    return std::nullopt;
  }
  bool overflow = false;
  auto parsed = split_number(text, overflow);
  if (!parsed) {
    error = overflow ? "duration '" + shown + "' is too large (at most " + format_duration(max_duration) + ")"
                     : "invalid duration '" + shown + "': expected a number with a unit, like 250ms, 30s, 5m or 1h";
    return std::nullopt;
  }
  // Whole numbers only ("1.5s" would read as the unit ".5s"): say how to write it instead.
  if (parsed->unit.starts_with('.')) {
    error = "duration '" + shown + "' must be a whole number: use a smaller unit (1.5s is 1500ms)";
    return std::nullopt;
  }
  // "0" alone is the documented way to disable; any other bare number is ambiguous.
  if (parsed->unit.empty()) {
    if (parsed->number == 0) return Duration{0};
    error = bare_number_hint(text);
    return std::nullopt;
  }
  const Unit* unit = find_unit(duration_units, parsed->unit);
  if (unit == nullptr) {
    error = "unknown unit '" + std::string(parsed->unit) + "' in duration '" + shown + "': use ms, s, m or h";
    return std::nullopt;
  }
  const auto limit = static_cast<std::uint64_t>(max_duration.count());
  if (!multiply_fits(parsed->number, unit->factor, limit)) {
    error = "duration '" + shown + "' is too large (at most " + format_duration(max_duration) + ")";
    return std::nullopt;
  }
  return Duration{static_cast<Duration::rep>(parsed->number * unit->factor)};
}

std::string format_duration(Duration duration) {
  if (duration.count() <= 0) return "0";
  const auto millis = static_cast<std::uint64_t>(duration.count());
  for (const Unit& unit : duration_units) {
    if (millis % unit.factor == 0) return std::to_string(millis / unit.factor) + std::string(unit.name);
  }
  return std::to_string(millis) + "ms";
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text, std::string& error) {
  const std::string shown(text);
  bool overflow = false;
  auto parsed = split_number(text, overflow);
  if (!parsed) {
    error = overflow ? "size '" + shown + "' is too large"
                     : "invalid size '" + shown + "': expected a number of bytes, optionally with kB, MB or GB";
    return std::nullopt;
  }
  // A bare number is a byte count: unlike durations there is no ambiguity.
  if (parsed->unit.empty()) return parsed->number;
  const Unit* unit = find_unit(size_units, lowercase(parsed->unit));
  if (unit == nullptr) {
    error = "unknown unit '" + std::string(parsed->unit) + "' in size '" + shown + "': use B, kB, MB or GB";
    return std::nullopt;
  }
  if (!multiply_fits(parsed->number, unit->factor, std::numeric_limits<std::uint64_t>::max())) {
    error = "size '" + shown + "' is too large";
    return std::nullopt;
  }
  return parsed->number * unit->factor;
}

std::string format_byte_size(std::uint64_t bytes) {
  constexpr std::array<Unit, 3> shown_units{{{"GB", 1ULL << 30}, {"MB", 1ULL << 20}, {"kB", 1ULL << 10}}};
  for (const Unit& unit : shown_units) {
    if (bytes != 0 && bytes % unit.factor == 0) return std::to_string(bytes / unit.factor) + std::string(unit.name);
  }
  return std::to_string(bytes) + "B";
}

}  // namespace sluice::config
