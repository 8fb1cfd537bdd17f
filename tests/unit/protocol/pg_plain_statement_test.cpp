// The look before the lexer: which texts it lets skip the classifier, and that a text it lets
// through reads the same as when the lexer reads it.
#include <catch2/catch.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/protocol/postgres/client_text_reader.hpp"
#include "sluice/protocol/postgres/plain_statement.hpp"

using namespace sluice::pg;
using namespace std::literals;

namespace {

std::string query(std::string_view text) {
  std::string out(1, 'Q');
  const auto length = static_cast<std::uint32_t>(text.size() + 5);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((length >> shift) & 0xFF));
  out += text;
  out.push_back('\0');
  return out;
}

struct Read {
  std::size_t statement_count = 0;
  std::size_t interesting = 0;
  bool overflow = false;
};

// The one event a whole Query makes, fed whole (the look may skip the lexer) or one byte at a time
// (the lexer reads it: the text is never whole in one piece).
Read read_query(std::string_view text, bool whole) {
  ClientTextReader reader(1 << 20);
  const std::string bytes = query(text);
  std::vector<Read> events;
  auto feed = [&](std::string_view part) {
    const auto span = std::span(reinterpret_cast<const std::uint8_t*>(part.data()), part.size());
    for (const auto& event : reader.feed(span, LexOptions{}, "UTF8")) {
      events.push_back({event.statement_count, event.statements.size(), event.overflow});
    }
  };
  if (whole) {
    feed(bytes);
  } else {
    for (std::size_t i = 0; i < bytes.size(); ++i) feed(std::string_view(bytes).substr(i, 1));
  }
  REQUIRE(events.size() == 1);
  return events[0];
}

}  // namespace

TEST_CASE("plain statements: the usual application queries skip the lexer", "[sql][plain]") {
  for (const std::string_view text :
       {"select 1"sv, "SELECT 1;"sv, "  SELECT abalance FROM pgbench_accounts WHERE aid = $1;  \n"sv,
        "insert into t values ($1, 'a,b''c') returning id"sv, "Update t set x = x + 1 where id = 3"sv,
        "DELETE FROM t WHERE name = 'SET x = 1'"sv, "with a as (select 1) select * from a"sv, "VALUES (1), (2)"sv,
        "TABLE t"sv, "select \"pg_class\".oid from pg_class"sv, "select 'tempo', temperature from settemp"sv,
        "select case when a then 1 end from t for update"sv, "select 1 -- trailing comment"sv}) {
    CAPTURE(text);
    CHECK(is_plain_statement(text));
  }
}

TEST_CASE("plain statements: anything the classifier might act on goes to the lexer", "[sql][plain]") {
  for (const std::string_view text : {
           "set search_path = x"sv, "SHOW search_path"sv, "begin"sv, "END"sv, "commit"sv, "explain select 1"sv,
           "listen x"sv, "create temp table t (a int)"sv, "/* c */ select 1"sv, "(select 1)"sv,
           "select 1; select 2"sv, "select 1; -- more"sv, "select 1;;"sv, "select ';'"sv,
           "select pg_advisory_lock(1)"sv, "SELECT PG_TRY_ADVISORY_LOCK_SHARED(1)"sv,
           "select pg_catalog.set_config('a', 'b', false)"sv, "select \"set_config\"('a', 'b', false)"sv,
           "select * into temp t from x"sv, "select * into TEMPORARY t from x"sv, "select * into pg_temp.t from x"sv,
           "select * from PG_TEMP_3.t"sv, "select dblink_connect('c', 'dbname=x')"sv,
           "select 1set_config('a','b',false)"sv, "select $1set_config('a','b',false)"sv,
           "select $x$ a $x$pg_advisory_unlock_all()"sv, "select a$set_config('a','b',false)"sv,
           "select x from pg_temp_0123456789012345678901234567890123456789.t"sv, "selectx 1"sv,
           ""sv, "   "sv, "select1"sv}) {
    CAPTURE(text);
    CHECK_FALSE(is_plain_statement(text));
  }
}

TEST_CASE("plain statements: words inside multi-byte characters are the server's words", "[sql][plain]") {
  // A byte >= 0x80 is part of a word, so "\xE3\x81set_config" is not set_config to the server either.
  CHECK(is_plain_statement("select \xE3\x81set_config('a', 'b', false)"sv));
  // Any byte that ends a word before it leaves the name standing.
  CHECK_FALSE(is_plain_statement("select \xE3\x81\x82@set_config('a', 'b', false)"sv));
}

TEST_CASE("plain statements: the reader's event is the same with or without the lexer", "[sql][plain]") {
  for (const std::string_view text :
       {"select 1"sv, "SELECT abalance FROM pgbench_accounts WHERE aid = 1;"sv, "select 'a"sv, "select 1 -- c"sv,
        "update t set a = 1 where b = 'x'"sv}) {
    CAPTURE(text);
    REQUIRE(is_plain_statement(text));
    const Read fast = read_query(text, true);
    const Read slow = read_query(text, false);
    CHECK(fast.statement_count == 1);
    CHECK(slow.statement_count == 1);
    CHECK(fast.interesting == 0);
    CHECK_FALSE(fast.overflow);
    // An unterminated quote is unknown state to the lexer; the look knows no name in it can act.
    if (text != "select 'a"sv) CHECK(slow.interesting == 0);
  }
  // Not plain: the lexer reads it, whole or in pieces alike.
  const Read set = read_query("set search_path = x", true);
  CHECK(set.statement_count == 1);
  CHECK(set.interesting == 1);
}
