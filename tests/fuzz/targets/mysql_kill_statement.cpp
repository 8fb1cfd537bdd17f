// A client's KILL as MyFrontend recognises it (my_frontend_kill.cpp): COM_QUERY text, or, when
// the first byte is 0x0C, a COM_PROCESS_KILL's arguments. Whatever parses as a KILL is seen as
// one by contains_kill, and a KILL naming a connection, written back in canonical form, parses the same.
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/mysql/kill_statement.hpp"

int sluice_fuzz_mysql_kill_statement(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  const std::span<const std::uint8_t> bytes(data, size);
  if (size > 0 && data[0] == 0x0C) {
    const auto kill = mysql::parse_process_kill(bytes.subspan(1));
    SLUICE_FUZZ_CHECK(kill.has_value() == (size == 5));
    return 0;
  }
  const auto text = fuzz::as_text(bytes);
  const auto kill = mysql::parse_kill_statement(text);
  if (!kill) return 0;
  SLUICE_FUZZ_CHECK(mysql::contains_kill(text));
  if (!kill->thread_id) return 0;
  const std::string canonical = std::string(kill->scope == mysql::KillScope::query ? "KILL QUERY " : "KILL CONNECTION ") +
                                std::to_string(*kill->thread_id);
  SLUICE_FUZZ_CHECK(mysql::parse_kill_statement(canonical) == *kill);
  return 0;
}
