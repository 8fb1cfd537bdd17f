#pragma once
// Recognises a COM_QUERY that is exactly `USE name` (MySQL docs: "USE Statement"), comments
// aside, so a session can follow the client's current database across backends as it does for
// COM_INIT_DB. Conservative: anything else (another statement with it, a name with an escaped
// backtick) is not recognised, and the caller pins the client to the backend it ran on.
#include <optional>
#include <string>
#include <string_view>

namespace sluice::mysql {

// The database named by `USE name` / USE `name` [;], surrounding whitespace and comments
// allowed; nullopt for anything else.
std::optional<std::string> parse_use_statement(std::string_view sql);

}  // namespace sluice::mysql
