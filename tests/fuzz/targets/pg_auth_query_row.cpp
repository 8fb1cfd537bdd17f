// A DataRow from the backend answering auth_query: whatever reads must write back to the same
// body, and nothing may be read past it.
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/postgres/auth_query.hpp"
#include "sluice/protocol/postgres/writers.hpp"

int sluice_fuzz_pg_auth_query_row(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  const std::span<const std::uint8_t> body(data, size);
  const auto row = pg::read_auth_query_row(body);
  if (!row) return 0;
  SLUICE_FUZZ_CHECK(row->size() <= pg::kMaxAuthQueryColumns);
  std::string written;
  pg::write_data_row(written, *row);
  SLUICE_FUZZ_CHECK(written.size() == size + 5 && written.substr(5) == fuzz::as_text(body));
  return 0;
}
