// SqlLexer: the tokens PostgreSQL's scan.l would see, whole or fed in pieces.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/protocol/postgres/client_encoding.hpp"
#include "sluice/protocol/postgres/sql_lexer.hpp"

using namespace sluice::pg;
using namespace std::literals;

namespace {

struct Lexed {
  TokenKind kind;
  std::size_t begin, end;
  std::string text;
  bool truncated, terminated;
  bool operator==(const Lexed&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Lexed& token) {
  return out << "{" << static_cast<int>(token.kind) << " [" << token.begin << "," << token.end << ") '" << token.text
             << "'" << (token.terminated ? "" : " unterminated") << "}";
}

class Collector : public TokenSink {
 public:
  void on_token(const Token& token) override {
    tokens.push_back({token.kind, token.begin, token.end, std::string(token.text), token.truncated, token.terminated});
  }
  std::vector<Lexed> tokens;
};

// Lexes `text` fed in pieces cut at `cuts` (ascending).
std::vector<Lexed> lex_pieces(std::string_view text, const std::vector<std::size_t>& cuts, LexOptions options = {},
                              bool* unterminated = nullptr) {
  SqlLexer lexer(options);
  Collector collector;
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    lexer.feed(text.substr(from, cut - from), collector);
    from = cut;
  }
  lexer.feed(text.substr(from), collector);
  lexer.finish(collector);
  if (unterminated != nullptr) *unterminated = lexer.unterminated();
  return collector.tokens;
}

std::vector<Lexed> lex(std::string_view text, LexOptions options = {}) { return lex_pieces(text, {}, options); }

std::vector<std::string> texts(const std::vector<Lexed>& tokens) {
  std::vector<std::string> out;
  for (const auto& token : tokens) out.push_back(token.text);
  return out;
}

// The same tokens whether the text comes whole, cut once anywhere, or a byte at a time.
void check_split_invariance(std::string_view text, LexOptions options = {}) {
  INFO("text: " << text);
  const auto whole = lex(text, options);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    INFO("cut at " << cut);
    REQUIRE(lex_pieces(text, {cut}, options) == whole);
  }
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < text.size(); ++i) every.push_back(i);
  REQUIRE(lex_pieces(text, every, options) == whole);
}

constexpr LexOptions kEscapes{ClientEncoding::server_safe, false};  // standard_conforming_strings off
constexpr LexOptions kSjis{ClientEncoding::sjis, true};

}  // namespace

TEST_CASE("words are lower-cased, symbols are one character each", "[sql]") {
  const auto tokens = lex("SELECT a.B, 1.5 FROM \"T\" WHERE x<>$1;");
  CHECK(texts(tokens) == std::vector<std::string>{"select", "a", ".", "b", ",", "1.5", "from", "\"T\"", "where", "x",
                                                  "<", ">", "$1", ";"});
  CHECK(tokens[0] == Lexed{TokenKind::word, 0, 6, "select", false, true});
  CHECK(tokens[5].kind == TokenKind::number);
  CHECK(tokens[7].kind == TokenKind::quoted_identifier);
  CHECK(tokens[12] == Lexed{TokenKind::parameter, 34, 36, "$1", false, true});
  CHECK(tokens[13] == Lexed{TokenKind::symbol, 36, 37, ";", false, true});
}

TEST_CASE("comments are whitespace, /* */ nests, and -- or /* inside operators start comments", "[sql]") {
  CHECK(texts(lex("-- a comment; with a semicolon\nSELECT 1")) == std::vector<std::string>{"select", "1"});
  CHECK(texts(lex("SELECT /* outer /* inner; */ still; */ 1")) == std::vector<std::string>{"select", "1"});
  CHECK(texts(lex("a-b a--b\nc")) == std::vector<std::string>{"a", "-", "b", "a", "c"});
  CHECK(texts(lex("a+/*x*/b")) == std::vector<std::string>{"a", "+", "b"});
  CHECK(texts(lex("/**/x/*/ still */y")) == std::vector<std::string>{"x", "y"});  // "/*/" does not close
  CHECK(texts(lex("a -- comment\r b")) == std::vector<std::string>{"a", "b"});
  bool unterminated = false;
  CHECK(lex_pieces("SELECT /* /* */ 1", {}, {}, &unterminated).size() == 1);
  CHECK(unterminated);
}

TEST_CASE("single-quoted strings: '' always, backslashes as standard_conforming_strings says", "[sql]") {
  CHECK(lex("'it''s' x")[0] == Lexed{TokenKind::string, 0, 7, "'it''s'", false, true});
  // standard_conforming_strings on: a backslash is a character, the string ends at the next quote.
  CHECK(texts(lex(R"('a\' ; b)")) == std::vector<std::string>{R"('a\')", ";", "b"});
  // off: the backslash escapes the quote, and the ";" is inside the string.
  const auto escaped = lex(R"('a\' ; b')", kEscapes);
  REQUIRE(escaped.size() == 1);
  CHECK(escaped[0].text == R"('a\' ; b')");
  // E'...' always has escapes, whatever the setting.
  CHECK(lex(R"(E'a\'b' c)")[0] == Lexed{TokenKind::escape_string, 0, 7, R"(E'a\'b')", false, true});
  CHECK(texts(lex(R"(e'\\' ;)")) == std::vector<std::string>{R"(e'\\')", ";"});
}

TEST_CASE("prefixes: E, B, X, N and U& only as a word of their own", "[sql]") {
  CHECK(lex("B'0101'")[0].kind == TokenKind::bit_string);
  CHECK(lex("x'1F'")[0].kind == TokenKind::bit_string);
  CHECK(lex("N'text'")[0] == Lexed{TokenKind::string, 0, 7, "N'text'", false, true});
  CHECK(lex("U&'d\\0061t'")[0].kind == TokenKind::unicode_string);
  CHECK(lex("U&\"d\\0061t\"")[0].kind == TokenKind::quoted_identifier);
  // Longer words are not prefixes: "ae" then a string.
  CHECK(texts(lex("ae'x'")) == std::vector<std::string>{"ae", "'x'"});
  // u followed by & but no quote: a word and a symbol.
  CHECK(texts(lex("u & v")) == std::vector<std::string>{"u", "&", "v"});
  CHECK(texts(lex("u&v")) == std::vector<std::string>{"u", "&", "v"});
  // B'...' has no backslash escapes even with standard_conforming_strings off.
  CHECK(texts(lex(R"(B'1\' ; x)", kEscapes)) == std::vector<std::string>{R"(B'1\')", ";", "x"});
}

TEST_CASE("a string continues after whitespace holding a newline, in its first part's style", "[sql]") {
  const auto continued = lex("'a'\n  'b' x");
  REQUIRE(continued.size() == 2);
  CHECK(continued[0] == Lexed{TokenKind::string, 0, 9, "'a'\n  'b'", false, true});
  // Without a newline it is two strings.
  CHECK(texts(lex("'a' 'b'")) == std::vector<std::string>{"'a'", "'b'"});
  // A -- comment may sit between the parts.
  CHECK(texts(lex("'a' -- note\n'b';")) == std::vector<std::string>{"'a' -- note\n'b'", ";"});
  // The continuation of E'...' has escapes too: \' does not end it.
  CHECK(texts(lex("E'a'\n'\\'; LISTEN x; '")) == std::vector<std::string>{"E'a'\n'\\'; LISTEN x; '"});
  // Whitespace then a single dash is an operator after the string; /* */ does not continue.
  CHECK(texts(lex("'a' -1")) == std::vector<std::string>{"'a'", "-", "1"});
  CHECK(texts(lex("'a'\n/* c */'b'")) == std::vector<std::string>{"'a'", "'b'"});
  CHECK(texts(lex("'a' -")) == std::vector<std::string>{"'a'", "-"});
}

TEST_CASE("dollar quoting, parameters and $ inside words", "[sql]") {
  CHECK(texts(lex("$$a; 'b$$ ;")) == std::vector<std::string>{"$$a; 'b$$", ";"});
  CHECK(texts(lex("$fn$ $x$ ; $fn $fn$;")) == std::vector<std::string>{"$fn$ $x$ ; $fn $fn$", ";"});
  CHECK(lex("$a$x$a$")[0] == Lexed{TokenKind::dollar_string, 0, 7, "$a$x$a$", false, true});
  CHECK(texts(lex("$tag$ $$ $TAG$ $tag$")) == std::vector<std::string>{"$tag$ $$ $TAG$ $tag$"});  // tags are case-sensitive
  CHECK(texts(lex("$ab$ $aab$ $ab$")) == std::vector<std::string>{"$ab$ $aab$ $ab$"});
  CHECK(texts(lex("a$b$ c")) == std::vector<std::string>{"a$b$", "c"});  // $ continues an identifier
  CHECK(texts(lex("$1$$x$$")) == std::vector<std::string>{"$1", "$$x$$"});
  CHECK(lex("$12")[0].kind == TokenKind::parameter);
  // A $ that opens no delimiter: a lone symbol, then what followed it read again.
  CHECK(texts(lex("$abc def")) == std::vector<std::string>{"$", "abc", "def"});
  CHECK(texts(lex("$e'x\\'y'")) == std::vector<std::string>{"$", "e'x\\'y'"});
  CHECK(texts(lex("$")) == std::vector<std::string>{"$"});
  CHECK(texts(lex("$ab")) == std::vector<std::string>{"$", "ab"});
  // Numbers: digits then identifier characters are one token, and a number ends before $.
  CHECK(texts(lex("1e5 0x1F 1_000 1.5$$x$$")) == std::vector<std::string>{"1e5", "0x1F", "1_000", "1.5", "$$x$$"});
}

TEST_CASE("quoted identifiers: \"\" is a quote", "[sql]") {
  CHECK(texts(lex("\"a\"\"b;\" c")) == std::vector<std::string>{"\"a\"\"b;\"", "c"});
  CHECK(texts(lex("\"\"")) == std::vector<std::string>{"\"\""});
}

TEST_CASE("a text that ends inside a token is reported unterminated", "[sql]") {
  for (const std::string_view text : {"'abc"sv, "E'abc\\'"sv, "\"ident"sv, "$x$ body $x"sv, "'a'\n'b"sv}) {
    INFO(text);
    bool unterminated = false;
    const auto tokens = lex_pieces(text, {}, {}, &unterminated);
    REQUIRE(!tokens.empty());
    CHECK_FALSE(tokens.back().terminated);
    CHECK(tokens.back().end == text.size());
    CHECK(unterminated);
  }
  bool unterminated = true;
  lex_pieces("SELECT 'done' -- trailing comment", {}, {}, &unterminated);
  CHECK_FALSE(unterminated);
}

TEST_CASE("client-only encodings: a trailing byte 0x5C is not a backslash", "[sql]") {
  // SJIS 0x83 0x5C is one character. Read byte-wise, 0x5C would escape the closing quote and
  // swallow the LISTEN into the string.
  const std::string text = "SELECT E'\x83\x5C'; LISTEN x";
  const auto sjis = lex(text, kSjis);
  CHECK(texts(sjis) == std::vector<std::string>{"select", "E'\x83\x5C'", ";", "listen", "x"});
  const auto bytewise = lex(text);  // as UTF-8 the same bytes are invalid, and 0x5C is a backslash
  CHECK(bytewise.back().kind == TokenKind::escape_string);
  CHECK_FALSE(bytewise.back().terminated);
  // Half-width katakana (0xA1-0xDF) are single bytes in SJIS.
  CHECK(texts(lex("E'\xB1\\'x'", kSjis)) == std::vector<std::string>{"E'\xB1\\'x'"});
  // JOHAB trailing bytes include ";": inside an identifier it does not end the statement.
  CHECK(texts(lex("SELECT \x84\x3B FROM t", {ClientEncoding::johab, true})) ==
        std::vector<std::string>{"select", "\x84\x3B", "from", "t"});
  // GB18030: a second byte 0x30-0x39 makes a four-byte character.
  CHECK(texts(lex("E'\x81\x30\x81\x5C' x", {ClientEncoding::gb18030, true})) ==
        std::vector<std::string>{"E'\x81\x30\x81\x5C'", "x"});
  CHECK(texts(lex("E'\x81\x5C' x", {ClientEncoding::gb18030, true})) ==
        std::vector<std::string>{"E'\x81\x5C'", "x"});
  // A character in a comment between the parts of a continued string is kept whole (fuzz finding).
  CHECK(lex("'' --\x83\\\n'x'", {ClientEncoding::uhc, true})[0] ==
        Lexed{TokenKind::string, 0, 11, "'' --\x83\\\n'x'", false, true});
  // Big5 in a dollar tag: the tag's bytes are compared as they are.
  CHECK(texts(lex("$\xA4\x5C$ x $\xA4\x5C$;", {ClientEncoding::big5, true})) ==
        std::vector<std::string>{"$\xA4\x5C$ x $\xA4\x5C$", ";"});
}

TEST_CASE("encoding names as PostgreSQL reads them", "[sql]") {
  CHECK(client_encoding_from_name("SJIS") == ClientEncoding::sjis);
  CHECK(client_encoding_from_name("Shift_JIS") == ClientEncoding::sjis);
  CHECK(client_encoding_from_name("SHIFT_JIS_2004") == ClientEncoding::sjis);
  CHECK(client_encoding_from_name("win950") == ClientEncoding::big5);
  CHECK(client_encoding_from_name("GBK") == ClientEncoding::gbk);
  CHECK(client_encoding_from_name("UHC") == ClientEncoding::uhc);
  CHECK(client_encoding_from_name("gb18030") == ClientEncoding::gb18030);
  CHECK(client_encoding_from_name("JOHAB") == ClientEncoding::johab);
  CHECK(client_encoding_from_name("UTF8") == ClientEncoding::server_safe);
  CHECK(client_encoding_from_name("utf-8") == ClientEncoding::server_safe);
  CHECK(client_encoding_from_name("EUC_JP") == ClientEncoding::server_safe);
  CHECK(client_encoding_from_name("LATIN1") == ClientEncoding::server_safe);
  CHECK(client_encoding_from_name("SQL_ASCII") == ClientEncoding::server_safe);
  CHECK(client_encoding_from_name("klingon") == ClientEncoding::unknown);
  CHECK(trailing_bytes(ClientEncoding::sjis, 0x83) == 1);
  CHECK(trailing_bytes(ClientEncoding::sjis, 0xB1) == 0);
  CHECK(trailing_bytes(ClientEncoding::johab, 0x8F) == 2);
  CHECK(trailing_bytes(ClientEncoding::server_safe, 0xE3) == 0);
  CHECK(trailing_bytes(ClientEncoding::big5, 'a') == 0);
}

TEST_CASE("long tokens are kept truncated, long dollar tags abandon the text", "[sql]") {
  const std::string long_string = "'" + std::string(kMaxTokenText + 100, 'x') + "' y";
  const auto tokens = lex(long_string);
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[0].truncated);
  CHECK(tokens[0].text.size() == kMaxTokenText);
  CHECK(tokens[0].end == kMaxTokenText + 102);
  CHECK(tokens[1].text == "y");

  // A word is taken in runs of identifier bytes: kept up to the limit, cut or whole alike.
  const std::string long_word = "SELECT Ab" + std::string(kMaxTokenText, 'C') + "d, 1" + std::string(kMaxTokenText, 'E') + " z";
  const auto words = lex(long_word);
  REQUIRE(words.size() == 5);
  CHECK(words[1].truncated);
  CHECK(words[1].text == "ab" + std::string(kMaxTokenText - 2, 'c'));
  CHECK(words[1].end == 7 + 2 + kMaxTokenText + 1);
  CHECK(words[3].kind == TokenKind::number);  // digits, then identifier junk: kept as written
  CHECK(words[3].text == "1" + std::string(kMaxTokenText - 1, 'E'));
  CHECK(words[4].text == "z");
  CHECK(lex_pieces(long_word, {8, 100, kMaxTokenText + 8, kMaxTokenText + 9}) == words);

  const std::string long_tag = "SELECT $" + std::string(kMaxDollarTag + 1, 't') + "$ x $; LISTEN y";
  bool unterminated = false;
  const auto abandoned = lex_pieces(long_tag, {}, {}, &unterminated);
  CHECK(unterminated);
  CHECK(abandoned.back().kind == TokenKind::dollar_string);
  CHECK_FALSE(abandoned.back().terminated);
}

TEST_CASE("tokens are the same however the text is cut", "[sql]") {
  const std::string_view texts_to_cut[] = {
      "SELECT a.b, 'it''s', E'x\\'y', $1 FROM t -- c\n;",
      "SET search_path = \"$user\", public; /* a /* b */ c */ LISTEN ch;",
      "SELECT $fn$ body $x$ $fn$, $$ $$, a$b, $ab c, U&'x' U&\"y\" u&z;",
      "SELECT 'a'\n -- c\n 'b' -x, 'c' -- d\n'e' 'f' - 'g' - -h",
      "SELECT 1e5, 0x1F, 1.5$$x$$, B'01', X'AF', N'n';",
      "/* unterminated /* comment */",
      "SELECT 'open",
      "$",
      "-",
      "'a'-",
  };
  for (const auto text : texts_to_cut) check_split_invariance(text);
  check_split_invariance("SELECT 'a\\' ; b' ;", kEscapes);
  check_split_invariance("SELECT E'\x83\x5C'; LISTEN x; $\x83\x5C$ y $\x83\x5C$", kSjis);
  check_split_invariance("E'\x81\x30\x81\x5C' x E'\x81\x5C' y", {ClientEncoding::gb18030, true});
}

TEST_CASE("garbage never breaks the lexer's contract", "[sql]") {
  std::mt19937 random(20240611);
  static constexpr char kAlphabet[] = "'\"$-/*\\;\nEeUu&0123 abc_()\x83\x5C\x81\x30";
  for (int run = 0; run < 2000; ++run) {
    std::string text(random() % 64, ' ');
    for (char& c : text) c = random() % 3 == 0 ? static_cast<char>(random()) : kAlphabet[random() % (sizeof kAlphabet - 1)];
    const LexOptions options{static_cast<ClientEncoding>(random() % 8), random() % 2 == 0};
    INFO("run " << run);
    const auto whole = lex(text, options);
    // Tokens are in order, inside the text, and do not overlap.
    std::size_t previous_end = 0;
    for (const auto& token : whole) {
      REQUIRE(token.begin >= previous_end);
      REQUIRE(token.begin < token.end);
      REQUIRE(token.end <= text.size());
      previous_end = token.end;
    }
    const std::size_t cut = text.empty() ? 0 : random() % (text.size() + 1);
    REQUIRE(lex_pieces(text, {cut}, options) == whole);
  }
}
