#include "sluice/protocol/mysql/kill_statement.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

namespace sluice::mysql {

namespace {

// Words separated by whitespace; a trailing ';' (alone or on the last word) is dropped.
std::vector<std::string_view> words_of(std::string_view sql) {
  std::vector<std::string_view> words;
  std::size_t at = 0;
  while (at < sql.size()) {
    while (at < sql.size() && std::isspace(static_cast<unsigned char>(sql[at]))) ++at;
    std::size_t end = at;
    while (end < sql.size() && !std::isspace(static_cast<unsigned char>(sql[end]))) ++end;
    if (end > at) words.push_back(sql.substr(at, end - at));
    at = end;
  }
  if (!words.empty() && words.back().ends_with(';')) {
    words.back().remove_suffix(1);
    if (words.back().empty()) words.pop_back();
  }
  return words;
}

bool is_word(std::string_view word, std::string_view keyword) {
  return word.size() == keyword.size() && std::equal(word.begin(), word.end(), keyword.begin(), [](char a, char b) {
           return std::toupper(static_cast<unsigned char>(a)) == b;
         });
}

std::optional<std::uint64_t> number_of(std::string_view word) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (error != std::errc{} || end != word.data() + word.size()) return std::nullopt;
  return value;
}

}  // namespace

bool starts_with_kill(std::string_view sql) {
  const auto first = std::find_if_not(sql.begin(), sql.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  const std::string_view rest(first, sql.end());
  return rest.size() >= 4 && is_word(rest.substr(0, 4), "KILL") &&
         (rest.size() == 4 || std::isspace(static_cast<unsigned char>(rest[4])) || rest[4] == ';');
}

std::optional<KillStatement> parse_kill_statement(std::string_view sql) {
  const auto words = words_of(sql);
  std::size_t at = 0;
  if (at >= words.size() || !is_word(words[at++], "KILL")) return std::nullopt;
  if (at < words.size() && (is_word(words[at], "HARD") || is_word(words[at], "SOFT"))) ++at;
  KillStatement kill;
  if (at < words.size() && is_word(words[at], "CONNECTION")) {
    ++at;
  } else if (at < words.size() && is_word(words[at], "QUERY")) {
    kill.scope = KillScope::query;
    ++at;
    if (at < words.size() && is_word(words[at], "ID")) return at + 2 == words.size() ? std::optional(kill) : std::nullopt;
  }
  if (at < words.size() && is_word(words[at], "USER")) return at + 2 == words.size() ? std::optional(kill) : std::nullopt;
  if (at + 1 != words.size()) return std::nullopt;
  kill.thread_id = number_of(words[at]);
  if (!kill.thread_id) return std::nullopt;
  return kill;
}

std::optional<KillStatement> parse_process_kill(std::span<const std::uint8_t> arguments) {
  if (arguments.size() != 4) return std::nullopt;
  const std::uint64_t id = arguments[0] | (arguments[1] << 8) | (arguments[2] << 16) | (std::uint64_t{arguments[3]} << 24);
  return KillStatement{KillScope::connection, id};
}

}  // namespace sluice::mysql
