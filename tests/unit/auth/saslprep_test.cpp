// SASLprep of SCRAM passwords, compared with what libpq and PostgreSQL make of the same inputs.

#include <catch2/catch.hpp>

#include "sluice/auth/saslprep.hpp"

using sluice::auth::saslprep_or_raw;

TEST_CASE("saslprep: non-ASCII passwords take PostgreSQL's normal form", "[auth][saslprep]") {
  CHECK(saslprep_or_raw("pa\xC2\xAD" "ss") == "pass");                              // soft hyphen: mapped to nothing
  CHECK(saslprep_or_raw("pa\xCC\x88sswo\xCC\x88rd") == "p\xC3\xA4ssw\xC3\xB6rd");    // combining umlauts: NFKC composes
  CHECK(saslprep_or_raw("\xEF\xBD\x90\xEF\xBD\x81\xEF\xBD\x93\xEF\xBD\x93") == "pass");  // full-width letters
  CHECK(saslprep_or_raw("a\xC2\xA0" "b") == "a b");                                  // no-break space: a space
  CHECK(saslprep_or_raw("p\xC3\xA4ssw\xC3\xB6rd") == "p\xC3\xA4ssw\xC3\xB6rd");      // already normal
}

TEST_CASE("saslprep: what it cannot prepare is used as it is, as PostgreSQL does", "[auth][saslprep]") {
  CHECK(saslprep_or_raw("plain ascii\t!") == "plain ascii\t!");                     // ASCII: never changed
  CHECK(saslprep_or_raw("bad \xFF utf-8") == "bad \xFF utf-8");                     // not UTF-8
  CHECK(saslprep_or_raw("x\xEE\x80\x80y") == "x\xEE\x80\x80y");                     // U+E000, private use: prohibited
  CHECK(saslprep_or_raw("") == "");
}
