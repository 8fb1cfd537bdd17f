// `USE name` as MyFrontend recognises it in a client's COM_QUERY (the session's schema follows
// it). A recognised name is never empty and holds no backtick (a quoted name with one inside is
// refused), and written back as USE `name` it is recognised as the same name.
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/mysql/use_statement.hpp"

int sluice_fuzz_mysql_use_statement(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  const auto text = fuzz::as_text(std::span<const std::uint8_t>(data, size));
  const auto name = mysql::parse_use_statement(text);
  if (!name) return 0;
  SLUICE_FUZZ_CHECK(!name->empty());
  SLUICE_FUZZ_CHECK(name->find('`') == std::string::npos);
  SLUICE_FUZZ_CHECK(name->size() < size);
  const auto again = mysql::parse_use_statement("USE `" + *name + "`");
  SLUICE_FUZZ_CHECK(again && *again == *name);
  return 0;
}
