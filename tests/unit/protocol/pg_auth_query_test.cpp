// auth_query on the wire: the user name travels as a bound parameter, and DataRows are read
// with every length checked.

#include <catch2/catch.hpp>

#include "sluice/protocol/postgres/auth_query.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/statement_messages.hpp"
#include "sluice/protocol/postgres/writers.hpp"

using namespace sluice::pg;

namespace {

struct Message {
  char type;
  std::string body;
};

std::vector<Message> split(const std::string& bytes) {
  std::vector<Message> messages;
  std::size_t at = 0;
  while (at + 5 <= bytes.size()) {
    const auto length = load_be32(reinterpret_cast<const std::uint8_t*>(bytes.data()) + at + 1);
    REQUIRE(at + 1 + length <= bytes.size());
    messages.push_back({bytes[at], bytes.substr(at + 5, length - 4)});
    at += 1 + length;
  }
  CHECK(at == bytes.size());
  return messages;
}

std::span<const std::uint8_t> span_of(const std::string& text) { return bytes_of(text); }

}  // namespace

TEST_CASE("write_auth_query binds the user name as $1 and never pastes it into the SQL", "[auth_query]") {
  const std::string query = "SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = $1";
  const std::string hostile = "x'; DROP ROLE admin; --";
  std::string out = "prefix";
  REQUIRE(write_auth_query(out, query, hostile));
  REQUIRE(out.starts_with("prefix"));
  const auto messages = split(out.substr(6));
  REQUIRE(messages.size() == 4);
  CHECK(messages[0].type == 'P');
  const auto parse = read_parse(span_of(messages[0].body));
  REQUIRE(parse);
  CHECK(parse->statement.empty());
  CHECK(parse->query == query);
  REQUIRE(parse->parameter_count() == 1);
  CHECK(parse->parameter_type(0) == 25);  // text
  CHECK(messages[1].type == 'B');
  const auto bind = read_bind(span_of(messages[1].body));
  REQUIRE(bind);
  CHECK(bind->portal.empty());
  CHECK(bind->statement.empty());
  CHECK(std::string(reinterpret_cast<const char*>(bind->rest.data()), bind->rest.size()).find(hostile) !=
        std::string::npos);
  CHECK(messages[2].type == 'E');
  CHECK(messages[3].type == 'S');
}

TEST_CASE("write_auth_query refuses NULs and appends nothing", "[auth_query]") {
  std::string out;
  CHECK_FALSE(write_auth_query(out, "SELECT $1", std::string("a\0b", 3)));
  CHECK_FALSE(write_auth_query(out, std::string("SELECT $1\0", 10), "app"));
  CHECK(out.empty());
}

TEST_CASE("read_auth_query_row reads values and NULLs, refuses malformed rows", "[auth_query]") {
  std::string row;
  const std::optional<std::string_view> values[] = {"app", std::nullopt, ""};
  write_data_row(row, values);
  const auto body = row.substr(5);
  const auto read = read_auth_query_row(span_of(body));
  REQUIRE(read);
  REQUIRE(read->size() == 3);
  CHECK((*read)[0] == "app");
  CHECK_FALSE((*read)[1]);
  CHECK((*read)[2] == "");
  // Every truncation and one trailing byte are refused.
  for (std::size_t cut = 0; cut < body.size(); ++cut) {
    CHECK_FALSE(read_auth_query_row(span_of(body.substr(0, cut))));
  }
  CHECK_FALSE(read_auth_query_row(span_of(body + "x")));
  // A length far past the body, and too many columns.
  std::string huge;
  append_be16(huge, 1);
  append_be32(huge, 0x7fffffff);
  CHECK_FALSE(read_auth_query_row(span_of(huge)));
  std::string wide;
  append_be16(wide, static_cast<std::uint16_t>(kMaxAuthQueryColumns + 1));
  for (std::size_t i = 0; i <= kMaxAuthQueryColumns; ++i) append_be32(wide, 0);
  CHECK_FALSE(read_auth_query_row(span_of(wide)));
}
