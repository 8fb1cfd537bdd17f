#pragma once
// Recognises a client's KILL (MariaDB: `KILL [HARD | SOFT] [CONNECTION | QUERY [ID]]
// {thread_id | USER user_name | query_id}`, and the old COM_PROCESS_KILL command), so that a
// connection id Sluice gave a client in its handshake can reach the backend that client holds
// instead of whatever backend thread happens to carry that number.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace sluice::mysql {

enum class KillScope {
  connection,  // KILL [CONNECTION] id: the connection ends
  query,       // KILL QUERY id: only the running statement stops
};

struct KillStatement {
  KillScope scope = KillScope::connection;
  // The connection id; nullopt for forms that name no connection (KILL USER, KILL QUERY ID),
  // which a pooler cannot route.
  std::optional<std::uint64_t> thread_id;
  bool operator==(const KillStatement&) const = default;
};

// True if any statement of `sql` starts with KILL, comments skipped and executable comments
// read as code (`/* app */ KILL 5`, `SELECT 1; KILL 5`, `/*!KILL 5*/`), or is a PREPARE or
// EXECUTE IMMEDIATE of a literal text that does: such a text never goes to a pooled backend as
// it is, where a backend's thread id would stop whichever client holds that backend now.
bool contains_kill(std::string_view sql);
// The KILL in `sql` (comments, whitespace and trailing ';'s allowed); nullopt when `sql` is not
// a single KILL statement of the grammar above.
std::optional<KillStatement> parse_kill_statement(std::string_view sql);
// COM_PROCESS_KILL's payload after the command byte: a 4-byte connection id.
std::optional<KillStatement> parse_process_kill(std::span<const std::uint8_t> arguments);

}  // namespace sluice::mysql
