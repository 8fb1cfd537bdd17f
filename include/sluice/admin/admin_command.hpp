#pragma once
// The admin console's command language, parsed without I/O: one command per query,
// PgBouncer's grammar.
//
//   SHOW subject           PAUSE [db]   RESUME [db]   RECONNECT [db]   KILL db
//   RELOAD   SHUTDOWN      SET name = value | SET name TO value
//
// Keywords are case-insensitive; one trailing semicolon and any surrounding whitespace
// are allowed. An argument is a bare word ([A-Za-z0-9_]+, kept as written) or a
// double-quoted name ("My-DB", with "" for a quote inside).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/core/failure.hpp"

namespace sluice::admin {

// Longest query text the console accepts; anything longer is not a console command.
inline constexpr std::size_t kMaxCommandLength = 4096;

struct AdminCommand {
  std::string verb;                     // lower case: "show", "pause", "set", ...
  std::optional<std::string> argument;  // SHOW: the subject, lower case; SET: the name, lower case
  std::optional<std::string> value;     // SET only
  bool empty() const { return verb.empty(); }  // the query held no command at all
};

// Splits a query into a command, or fails with 42601 (syntax_error) saying why.
Expected<AdminCommand> parse_admin_command(std::string_view query);

// The 42601 Failure every unparsable or unknown command gets.
Failure invalid_command(std::string_view query);

}  // namespace sluice::admin
