// The admin console's command text: the SQL of a Query an admin client sends, as
// PgAdminSession hands it to parse_admin_command (after read_query).
//
// Invariants: whitespace around a command does not change it; verbs (and SHOW subjects)
// come out lower case; a refusal is always 42601 and quotes at most 200 bytes of the query.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/admin/admin_command.hpp"

namespace {

using namespace sluice;

bool is_lower(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

bool same(admin::AdminCommand& a, admin::AdminCommand& b) {
  return a.verb == b.verb && a.argument == b.argument && a.value == b.value;
}

}  // namespace

int sluice_fuzz_admin_command(const std::uint8_t* data, std::size_t size) {
  const std::string_view query = fuzz::as_text({data, size});
  auto command = admin::parse_admin_command(query);
  if (!command) {
    const Failure& failure = command.failure();
    SLUICE_FUZZ_CHECK(failure.sqlstate == "42601");
    SLUICE_FUZZ_CHECK(failure.message.size() <= 200 + 64);
    return 0;
  }
  SLUICE_FUZZ_CHECK(is_lower(command->verb));
  if (command->verb == "show" && command->argument) SLUICE_FUZZ_CHECK(is_lower(*command->argument));
  if (command->empty()) SLUICE_FUZZ_CHECK(!command->argument && !command->value);
  // The console's length cap applies to the padded text too, so stay under it.
  if (query.size() + 2 <= admin::kMaxCommandLength) {
    auto padded = admin::parse_admin_command(" " + std::string(query) + "\n");
    SLUICE_FUZZ_CHECK(padded && same(*command, *padded));
  }
  return 0;
}
