#include "sluice/protocol/postgres/plain_statement.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "statement_reading.hpp"

namespace sluice::pg {

namespace {

// Byte classes, PostgreSQL's lexer's (scan.l: ident_start, ident_cont, space).
enum : std::uint8_t { kOther = 0, kStart = 1, kContinue = 2, kSpace = 4 };

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> classes{};
  for (int c = 'a'; c <= 'z'; ++c) classes[c] = kStart | kContinue;
  for (int c = 'A'; c <= 'Z'; ++c) classes[c] = kStart | kContinue;
  for (int c = 0x80; c <= 0xFF; ++c) classes[c] = kStart | kContinue;
  classes['_'] = kStart | kContinue;
  for (int c = '0'; c <= '9'; ++c) classes[c] = kContinue;
  // '$' continues an identifier, but it also ends a dollar-quoted string ("$x$...$x$set_config("):
  // here it ends a word, so the name after it is looked at too.
  for (const char c : {' ', '\t', '\n', '\r', '\f', '\v'}) classes[static_cast<unsigned char>(c)] = kSpace;
  return classes;
}
constexpr auto kClasses = make_classes();

std::uint8_t class_of(char c) { return kClasses[static_cast<unsigned char>(c)]; }
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr std::string_view kPlainHeads[] = {"select", "insert", "update", "delete", "with", "values", "table"};

// The longest word worth folding: every watched name is shorter.
constexpr std::size_t kLongestWatched = 32;

// A word the classifier watches for in every statement (session_statement.cpp: watch).
bool is_watched(std::string_view lower) {
  if (lower == "temp" || lower == "temporary" || lower.starts_with("pg_temp")) return true;
  return statement_reading::find_session_function(lower) != nullptr;
}

}  // namespace

bool is_plain_statement(std::string_view text) {
  // Whitespace, then a head word.
  std::size_t i = 0;
  while (i < text.size() && class_of(text[i]) == kSpace) ++i;
  std::size_t head_end = i;
  while (head_end < text.size() && (class_of(text[head_end]) & kContinue) != 0) ++head_end;
  const std::size_t head_size = head_end - i;
  const bool plain_head = std::any_of(std::begin(kPlainHeads), std::end(kPlainHeads), [&](std::string_view head) {
    if (head.size() != head_size) return false;
    for (std::size_t k = 0; k < head_size; ++k) {
      if (ascii_lower(text[i + k]) != head[k]) return false;
    }
    return true;
  });
  if (!plain_head) return false;

  // The rest: words checked, one ';' at most, and only at the end.
  char lower[kLongestWatched];
  for (i = head_end; i < text.size();) {
    const std::uint8_t cls = class_of(text[i]);
    if ((cls & kStart) != 0) {
      const std::size_t begin = i;
      while (i < text.size() && (class_of(text[i]) & kContinue) != 0) ++i;
      const std::size_t size = i - begin;
      // pg_temp_<n> may be any length: its prefix is enough.
      const std::size_t folded = std::min(size, kLongestWatched);
      for (std::size_t k = 0; k < folded; ++k) lower[k] = ascii_lower(text[begin + k]);
      const std::string_view word(lower, folded);
      if (size > kLongestWatched ? word.starts_with("pg_temp") : is_watched(word)) return false;
      continue;
    }
    if ((cls & kContinue) != 0) {  // a digit outside a word: "1set" is 1 and SET to the server
      ++i;
      continue;
    }
    if (text[i] == ';') {
      for (++i; i < text.size(); ++i) {
        if (class_of(text[i]) != kSpace) return false;  // a second statement, or a comment after the first
      }
      return true;
    }
    ++i;
  }
  return true;
}

}  // namespace sluice::pg
