// The prepared-statement packets MyFrontend reads and rewrites (COM_STMT_PREPARE_OK,
// COM_STMT_EXECUTE and the commands that name a statement), and the id maps they feed. The first
// byte picks the parameter count; the rest is a payload. Invariants: nothing is read past the
// payload; a rewrite keeps everything but the id (and, for an execute given types, inserts
// exactly them after a flag now set); the maps never hand out 0 or MariaDB's -1, nor one id twice.
#include <cstdint>
#include <set>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/statement_registry.hpp"

int sluice_fuzz_mysql_statement_packets(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  if (size < 1) return 0;
  const std::uint16_t num_params = data[0] % 20;
  const auto payload = std::span<const std::uint8_t>(data + 1, size - 1);
  if (const auto id = mysql::read_statement_id(payload)) {
    const auto renamed = mysql::with_statement_id(payload, *id ^ 0x5A5A5A5Au);
    SLUICE_FUZZ_CHECK(renamed.size() == payload.size());
    SLUICE_FUZZ_CHECK(mysql::read_statement_id(mysql::bytes_of(renamed)) == (*id ^ 0x5A5A5A5Au));
  }
  if (const auto head = mysql::read_execute(payload, num_params)) {
    SLUICE_FUZZ_CHECK(head->types.size() == (head->new_params_bound ? 2u * num_params : 0u));
    SLUICE_FUZZ_CHECK(head->bound_offset < payload.size() || num_params == 0);
    if (num_params > 0 && !head->new_params_bound) {
      const std::string types(2 * num_params, '\x08');
      const auto rewritten = mysql::execute_with_types(payload, 77, types);
      SLUICE_FUZZ_CHECK(rewritten.has_value());
      SLUICE_FUZZ_CHECK(rewritten->size() == payload.size() + types.size());
      const auto again = mysql::read_execute(mysql::bytes_of(*rewritten), num_params);
      SLUICE_FUZZ_CHECK(again && again->new_params_bound && again->types == types && again->statement_id == 77);
    }
  }
  // The bytes as a run of COM_STMT_PREPARE_OKs from backends numbering as they please.
  mysql::ClientStatements client;
  mysql::BackendStatements backend(1 + num_params);
  std::set<std::uint32_t> given;
  for (std::size_t at = 0; at + 4 <= payload.size(); at += 4) {
    const mysql::PrepareOk ok{mysql::load_le32(payload.data() + at), 0, num_params};
    // A handful of texts, so that keys repeat and the backend's statements are shared.
    const auto id = client.add("shop", "SELECT " + std::to_string(payload[at] % 4), ok);
    SLUICE_FUZZ_CHECK(id != mysql::kNoStatementId && id != mysql::kLastStatementId);
    SLUICE_FUZZ_CHECK(given.insert(id).second);
    backend.make_room(1);
    backend.add(client.find(id)->key, ok.statement_id);
    SLUICE_FUZZ_CHECK(backend.size() <= backend.limit());
    SLUICE_FUZZ_CHECK(backend.use(client.find(id)->key)->backend_id == ok.statement_id);
    if (payload[at] & 1) {
      client.forget(id);
      given.erase(id);
    }
  }
  SLUICE_FUZZ_CHECK(client.size() == given.size());
  if (const auto ok = mysql::read_prepare_ok(payload)) SLUICE_FUZZ_CHECK(payload.size() >= 12);
  return 0;
}
