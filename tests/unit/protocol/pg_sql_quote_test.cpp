// quote_literal / quote_identifier: safe whatever standard_conforming_strings, and for the
// encodings whose trailing bytes can be a backslash.
#include <catch2/catch.hpp>

#include <string>

#include "sluice/protocol/postgres/session_statement.hpp"
#include "sluice/protocol/postgres/sql_lexer.hpp"
#include "sluice/protocol/postgres/sql_quote.hpp"

using namespace sluice::pg;
using namespace std::literals;

namespace {

// How PostgreSQL would lex the SQL "SELECT <literal>; LISTEN x": exactly one statement before
// the LISTEN, i.e. the literal ended where Sluice meant it to.
bool stays_quoted(const std::string& literal, ClientEncoding encoding, bool standard_conforming_strings) {
  const auto statements = scan_statements("SELECT " + literal + "; LISTEN x", {encoding, standard_conforming_strings});
  return statements.size() == 2 && statements[0].effects.empty() && !statements[0].unterminated;
}

}  // namespace

TEST_CASE("quote_literal writes E'' with quotes and backslashes doubled", "[sql]") {
  CHECK(quote_literal("plain", ClientEncoding::server_safe) == "E'plain'");
  CHECK(quote_literal("it's", ClientEncoding::server_safe) == "E'it''s'");
  CHECK(quote_literal(R"(C:\dir\)", ClientEncoding::server_safe) == R"(E'C:\\dir\\')");
  CHECK(quote_literal("", ClientEncoding::unknown) == "E''");
  CHECK(quote_literal("caf\xC3\xA9", ClientEncoding::server_safe) == "E'caf\xC3\xA9'");
  CHECK_FALSE(quote_literal("a\0b"s, ClientEncoding::server_safe));
  for (const bool standard : {true, false}) {
    CHECK(stays_quoted(*quote_literal(R"(x\'; LISTEN y; --)", ClientEncoding::server_safe), ClientEncoding::server_safe, standard));
    CHECK(stays_quoted(*quote_literal("'", ClientEncoding::server_safe), ClientEncoding::server_safe, standard));
  }
}

TEST_CASE("quote_literal walks characters: a SJIS trailing 0x5C is not doubled", "[sql]") {
  // 0x83 0x5C is one SJIS character (katakana "so"). Doubling its 0x5C byte-wise would give
  // 0x83 0x5C 0x5C: the character, then a real backslash that escapes the next quote.
  const std::string value = "\x83\x5C'; LISTEN y; --";
  const auto quoted = quote_literal(value, ClientEncoding::sjis);
  REQUIRE(quoted);
  CHECK(*quoted == "E'\x83\x5C''; LISTEN y; --'");
  CHECK(stays_quoted(*quoted, ClientEncoding::sjis, true));
  CHECK(stays_quoted(*quoted, ClientEncoding::sjis, false));

  // The byte-wise quoting the CVE was about: read as SJIS, it lets the LISTEN out.
  const std::string bytewise = "E'\x83\x5C\x5C''; LISTEN y; --'";
  CHECK_FALSE(stays_quoted(bytewise, ClientEncoding::sjis, true));

  // In a server-safe encoding every 0x5C is a backslash, and is doubled.
  CHECK(quote_literal("\x83\x5C", ClientEncoding::server_safe) == "E'\x83\x5C\x5C'");
  // Other client-only encodings, same rule.
  CHECK(quote_literal("\xA4\x5C", ClientEncoding::big5) == "E'\xA4\x5C'");
  CHECK(quote_literal("\x81\x5C", ClientEncoding::gbk) == "E'\x81\x5C'");
  CHECK(quote_literal("\x81\x30\x81\x5C\\", ClientEncoding::gb18030) == "E'\x81\x30\x81\x5C\\\\'");
  CHECK(quote_literal("\x8F\x41\x5C", ClientEncoding::johab) == "E'\x8F\x41\x5C'");
  // Half-width katakana are single bytes: the 0x5C after one is a backslash.
  CHECK(quote_literal("\xB1\x5C", ClientEncoding::sjis) == "E'\xB1\x5C\x5C'");
}

TEST_CASE("quote_literal refuses what it cannot quote safely", "[sql]") {
  // Encoding unknown: only ASCII, which is the same characters in every encoding.
  CHECK_FALSE(quote_literal("\x83\x5C", ClientEncoding::unknown));
  CHECK(quote_literal(R"(a'\)", ClientEncoding::unknown) == R"(E'a''\\')");
  // A character cut short at the end: its missing byte would be our closing quote.
  CHECK_FALSE(quote_literal("ab\x83", ClientEncoding::sjis));
  CHECK_FALSE(quote_literal("ab\x81\x30\x81", ClientEncoding::gb18030));
  CHECK_FALSE(quote_literal("\x83\0"s, ClientEncoding::sjis));
}

TEST_CASE("quote_identifier doubles quotes and refuses empty names, NULs and cut characters", "[sql]") {
  CHECK(quote_identifier("search_path", ClientEncoding::unknown) == "\"search_path\"");
  CHECK(quote_identifier("a\"b", ClientEncoding::server_safe) == "\"a\"\"b\"");
  CHECK(quote_identifier("myapp.user_id", ClientEncoding::server_safe) == "\"myapp.user_id\"");
  CHECK(quote_identifier("\x83\x5C", ClientEncoding::sjis) == "\"\x83\x5C\"");
  CHECK_FALSE(quote_identifier("", ClientEncoding::server_safe));
  CHECK_FALSE(quote_identifier("a\0b"s, ClientEncoding::server_safe));
  CHECK_FALSE(quote_identifier("\xE9", ClientEncoding::unknown));
  // A cut SJIS character would take the closing quote as its second byte.
  CHECK_FALSE(quote_identifier("ab\x83", ClientEncoding::sjis));
  for (const char* name : {"a\"; LISTEN y; --", "\x83\"", "x"}) {
    const auto quoted = quote_identifier(name, ClientEncoding::sjis);
    REQUIRE(quoted);
    CHECK(stays_quoted(*quoted, ClientEncoding::sjis, true));
  }
}

TEST_CASE("double_backslashes keeps multi-byte characters whole", "[sql]") {
  CHECK(double_backslashes(R"('a\b')", ClientEncoding::server_safe) == R"('a\\b')");
  CHECK(double_backslashes("'\x83\x5C\\'", ClientEncoding::sjis) == "'\x83\x5C\\\\'");
  CHECK_FALSE(double_backslashes("\x83", ClientEncoding::sjis));
}
