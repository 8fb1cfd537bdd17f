// The prepared-statement packets and the id maps that move a MySQL client's statements between
// backends (statement_packets.hpp, statement_registry.hpp).
#include <catch2/catch.hpp>

#include <array>

#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/statement_registry.hpp"

using namespace sluice::mysql;

namespace {

std::string prepare_ok(std::uint32_t id, std::uint16_t columns, std::uint16_t params) {
  std::string out(1, '\0');
  append_le32(out, id);
  append_le16(out, columns);
  append_le16(out, params);
  out.push_back('\0');
  append_le16(out, 0);
  return out;
}

// COM_STMT_EXECUTE for `id` with two parameters: bitmap, flag, [types], values.
std::string execute(std::uint32_t id, bool with_types, std::uint8_t flags = 0) {
  std::string out(1, static_cast<char>(command::COM_STMT_EXECUTE));
  append_le32(out, id);
  out.push_back(static_cast<char>(flags));
  append_le32(out, 1);
  out.push_back('\0');  // null bitmap: one byte for two parameters
  out.push_back(with_types ? 1 : 0);
  if (with_types) out += std::string("\x08\x00\x08\x00", 4);  // two LONGLONGs
  out += std::string(16, '\x07');
  return out;
}

}  // namespace

TEST_CASE("COM_STMT_PREPARE_OK is read, and nothing shorter", "[mysql_statements]") {
  const auto ok = read_prepare_ok(bytes_of(prepare_ok(7, 3, 2)));
  REQUIRE(ok);
  CHECK(ok->statement_id == 7);
  CHECK(ok->num_columns == 3);
  CHECK(ok->num_params == 2);
  const auto packet = prepare_ok(7, 3, 2);
  for (std::size_t size = 0; size < packet.size(); ++size) CHECK_FALSE(read_prepare_ok(bytes_of(packet.substr(0, size))));
  CHECK_FALSE(read_prepare_ok(bytes_of("\xff" + packet.substr(1))));
}

TEST_CASE("statement ids are read and replaced in place", "[mysql_statements]") {
  const auto packet = execute(0x01020304, true);
  CHECK(read_statement_id(bytes_of(packet)) == 0x01020304u);
  const auto renamed = with_statement_id(bytes_of(packet), 9);
  CHECK(renamed.size() == packet.size());
  CHECK(read_statement_id(bytes_of(renamed)) == 9u);
  CHECK(renamed.substr(5) == packet.substr(5));
  CHECK_FALSE(read_statement_id(bytes_of(packet.substr(0, 4))));
  CHECK(names_statement(command::COM_STMT_CLOSE));
  CHECK(names_statement(command::COM_STMT_SEND_LONG_DATA));
  CHECK_FALSE(names_statement(command::COM_STMT_PREPARE));
  CHECK_FALSE(names_statement(command::COM_QUERY));
}

TEST_CASE("COM_STMT_EXECUTE heads: flags, the bound flag and the types", "[mysql_statements]") {
  const auto packet = execute(5, true, 1);  // the head's types point into it
  const auto bound = read_execute(bytes_of(packet), 2);
  REQUIRE(bound);
  CHECK(bound->statement_id == 5);
  CHECK(bound->opens_cursor());
  CHECK(bound->new_params_bound);
  CHECK(bound->types == std::string_view("\x08\x00\x08\x00", 4));
  const auto unbound = read_execute(bytes_of(execute(5, false)), 2);
  REQUIRE(unbound);
  CHECK_FALSE(unbound->new_params_bound);
  CHECK(unbound->types.empty());
  CHECK_FALSE(unbound->opens_cursor());
  // No parameters: nothing after the fixed part is read.
  CHECK(read_execute(bytes_of(execute(5, false).substr(0, 10)), 0));
  // Too short for what the parameter count says.
  CHECK_FALSE(read_execute(bytes_of(execute(5, true).substr(0, 13)), 2));
  CHECK_FALSE(read_execute(bytes_of(execute(5, true)), 300));
}

TEST_CASE("an execute without types is rewritten to carry the remembered ones", "[mysql_statements]") {
  const std::string types("\x08\x00\x08\x00", 4);
  const auto rewritten = execute_with_types(bytes_of(execute(5, false)), 11, types);
  REQUIRE(rewritten);
  CHECK(*rewritten == with_statement_id(bytes_of(execute(5, true)), 11));
  // One that sends types already is left alone, and so are types of no parameter.
  CHECK_FALSE(execute_with_types(bytes_of(execute(5, true)), 11, types));
  CHECK_FALSE(execute_with_types(bytes_of(execute(5, false)), 11, std::string(1, '\x08')));
  CHECK_FALSE(execute_with_types(bytes_of(execute(5, false)), 11, ""));
}

TEST_CASE("client ids: the backend's when free, else the next free one", "[mysql_statements]") {
  ClientStatements client;
  CHECK(client.add("shop", "SELECT 1", PrepareOk{1, 1, 0}) == 1);
  CHECK(client.add("shop", "SELECT 2", PrepareOk{2, 1, 0}) == 2);
  // Another backend numbers from 1 again: the client keeps distinct ids.
  CHECK(client.add("shop", "SELECT 3", PrepareOk{1, 1, 0}) == 3);
  CHECK(client.find(3)->sql() == "SELECT 3");
  CHECK(client.find(3)->key == std::string("shop\0SELECT 3", 13));
  // MariaDB's "last statement" id and 0 are never given to a client.
  CHECK(client.add("shop", "SELECT 4", PrepareOk{kLastStatementId, 0, 0}) == 4);
  CHECK(client.add("shop", "SELECT 5", PrepareOk{kNoStatementId, 0, 0}) == 5);
  CHECK(client.text_size() == 5 * 13);
  client.forget(2);
  CHECK(client.find(2) == nullptr);
  CHECK(client.text_size() == 4 * 13);
  client.forget(2);
  CHECK(client.text_size() == 4 * 13);
  CHECK(client.add("shop", "SELECT 6", PrepareOk{2, 0, 0}) == 2);
  client.use(1);
  const auto recent = client.most_recent(2);
  REQUIRE(recent.size() == 2);
  CHECK(recent[0] == 1);
  CHECK(recent[1] == 2);
}

TEST_CASE("backend statements: found by key, shared, LRU bounded, replaced ones closed, gone on reset",
          "[mysql_statements]") {
  ClientStatements first;
  ClientStatements second;
  const auto a = first.find(first.add("shop", "SELECT a", PrepareOk{1, 0, 0}))->key;
  const auto b = first.find(first.add("shop", "SELECT b", PrepareOk{2, 0, 0}))->key;
  // The same text in another schema is another statement; in the same one, the same.
  const auto b_elsewhere = second.find(second.add("other", "SELECT b", PrepareOk{7, 0, 0}))->key;
  const auto b_again = second.find(second.add("shop", "SELECT b", PrepareOk{9, 0, 0}))->key;
  CHECK(b_again == b);
  CHECK(b_elsewhere != b);

  BackendStatements backend(3);
  backend.add(a, 1);
  backend.add(b, 2);
  backend.add(b_elsewhere, 3);
  CHECK(backend.use(b_again)->backend_id == 2);
  CHECK(backend.make_room(0).empty());
  // Room for one more: the least recently used (a, then b_elsewhere) closes.
  const auto closed = backend.make_room(1);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0] == 1);
  CHECK_FALSE(backend.holds(a));
  // A prepare in flight counts against the limit.
  backend.prepare_sent();
  CHECK(backend.make_room(1) == std::vector<std::uint32_t>{3});
  backend.prepare_answered();
  // A second client prepared b on this backend too: its statement replaces the first, which the
  // next make_room closes.
  backend.add(b_again, 4);
  CHECK(backend.use(b)->backend_id == 4);
  CHECK(backend.size() == 1);
  CHECK(backend.make_room(0) == std::vector<std::uint32_t>{2});
  CHECK(backend.make_room(0).empty());
  backend.clear();
  CHECK(backend.size() == 0);
  CHECK_FALSE(backend.holds(b));

  // Statements in use (a cursor open, long data sent) are passed over, past the limit if need be.
  BackendStatements guarded(2);
  guarded.add(a, 11);
  guarded.add(b, 12);
  const std::array<std::string_view, 1> in_use = {a};
  CHECK(guarded.make_room(1, in_use) == std::vector<std::uint32_t>{12});  // b, although a is older
  CHECK(guarded.holds(a));
  const std::array<std::string_view, 1> only = {a};
  CHECK(guarded.make_room(2, only).empty());  // nothing else to close: over the limit for now
  CHECK(guarded.holds(a));
  CHECK(BackendStatements(0).limit() == 1);
}
