// Parse, Bind, Describe and Close: read, renamed, written back; every length checked.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"
#include "sluice/protocol/postgres/statement_messages.hpp"
#include "sluice/protocol/postgres/wire_reader.hpp"

using namespace sluice::pg;
using namespace std::literals;

namespace {

std::string cstr(std::string_view text) { return std::string(text) + '\0'; }

std::string be16(std::uint16_t value) {
  std::string out;
  append_be16(out, value);
  return out;
}

std::string be32(std::uint32_t value) {
  std::string out;
  append_be32(out, value);
  return out;
}

// Bind body after the names: formats, values (nullopt = NULL), result formats.
std::string bind_rest(const std::vector<std::uint16_t>& formats, const std::vector<std::optional<std::string>>& values,
                      const std::vector<std::uint16_t>& results) {
  std::string rest = be16(static_cast<std::uint16_t>(formats.size()));
  for (auto format : formats) rest += be16(format);
  rest += be16(static_cast<std::uint16_t>(values.size()));
  for (const auto& value : values) rest += value ? be32(static_cast<std::uint32_t>(value->size())) + *value : be32(0xffffffff);
  rest += be16(static_cast<std::uint16_t>(results.size()));
  for (auto format : results) rest += be16(format);
  return rest;
}

// The type and body of the one message in `out`, framed by the scanner.
std::pair<char, std::string> only_message(const std::string& out) {
  MessageScanner scanner(std::uint64_t{1} << 30);
  std::vector<std::pair<char, std::string>> messages;
  std::size_t start = 0;
  const auto result = scanner.scan(bytes_of(out), [&](const MessageView& view) {
    messages.emplace_back(view.type, out.substr(start + kHeaderLength, view.length - 4));
    start = view.end;
  });
  REQUIRE(result.error == ScanError::none);
  REQUIRE(messages.size() == 1);
  return messages[0];
}

}  // namespace

TEST_CASE("Parse: name, query, parameter types, written back renamed", "[statements]") {
  const std::string body = cstr("S_1") + cstr("SELECT $1::int, $2") + be16(2) + be32(23) + be32(0);
  const auto parse = read_parse(bytes_of(body));
  REQUIRE(parse);
  CHECK(parse->statement == "S_1");
  CHECK(parse->query == "SELECT $1::int, $2");
  CHECK(parse->parameter_count() == 2);
  CHECK(parse->parameter_type(0) == 23);
  CHECK(parse->parameter_type(1) == 0);

  std::string out = "keep";
  REQUIRE(write_parse(out, parse->statement, parse->query, parse->parameter_types));
  CHECK(out.substr(0, 4) == "keep");
  CHECK(only_message(out.substr(4)) == std::pair<char, std::string>{'P', body});

  std::string renamed;
  REQUIRE(write_parse(renamed, "sluice_s7", parse->query, parse->parameter_types));
  const auto [type, renamed_body] = only_message(renamed);
  CHECK(type == frontend::Parse);
  const auto reread = read_parse(bytes_of(renamed_body));
  REQUIRE(reread);
  CHECK(reread->statement == "sluice_s7");
  CHECK(reread->query == parse->query);
  CHECK(std::string(as_string_view(reread->parameter_types)) == std::string(as_string_view(parse->parameter_types)));
}

TEST_CASE("Parse readers reject every bad length", "[statements]") {
  CHECK(read_parse(bytes_of(cstr("") + cstr("SELECT 1") + be16(0))));
  CHECK_FALSE(read_parse(bytes_of(""s)));
  CHECK_FALSE(read_parse(bytes_of(cstr("s"))));                                   // no query
  CHECK_FALSE(read_parse(bytes_of(cstr("s") + "SELECT 1")));                      // unterminated query
  CHECK_FALSE(read_parse(bytes_of(cstr("s") + cstr("q"))));                       // no count
  CHECK_FALSE(read_parse(bytes_of(cstr("s") + cstr("q") + "\0"s)));               // half a count
  CHECK_FALSE(read_parse(bytes_of(cstr("s") + cstr("q") + be16(1))));             // count says 1, no OID
  CHECK_FALSE(read_parse(bytes_of(cstr("s") + cstr("q") + be16(1) + "\0\0\0"s))); // 3 bytes of an OID
  CHECK_FALSE(read_parse(bytes_of(cstr("s") + cstr("q") + be16(0) + "x")));       // trailing byte
  CHECK_FALSE(read_parse(bytes_of(cstr("s") + cstr("q") + be16(65535))));         // huge count, no data
}

TEST_CASE("Bind: names read, the rest validated and kept byte for byte", "[statements]") {
  const std::string rest = bind_rest({1}, {"7"s, std::nullopt, ""s}, {0, 1});
  const std::string body = cstr("portal") + cstr("S_1") + rest;
  const auto bind = read_bind(bytes_of(body));
  REQUIRE(bind);
  CHECK(bind->portal == "portal");
  CHECK(bind->statement == "S_1");
  CHECK(std::string(as_string_view(bind->rest)) == rest);

  std::string same;
  REQUIRE(write_bind(same, *bind, bind->statement));
  CHECK(only_message(same) == std::pair<char, std::string>{'B', body});

  std::string renamed;
  REQUIRE(write_bind(renamed, *bind, "sluice_s12"));
  const std::string renamed_body = only_message(renamed).second;
  const auto reread = read_bind(bytes_of(renamed_body));
  REQUIRE(reread);
  CHECK(reread->portal == "portal");
  CHECK(reread->statement == "sluice_s12");
  CHECK(std::string(as_string_view(reread->rest)) == rest);

  // The head alone, for a session that streams the values.
  const std::string prefix = body.substr(0, 12);
  const auto head = read_bind_head(bytes_of(prefix));
  REQUIRE(head);
  CHECK(head->portal == "portal");
  CHECK(head->statement == "S_1");
  CHECK(head->rest_offset == 11);
  CHECK_FALSE(read_bind_head(bytes_of(body.substr(0, 10))));  // the statement name is cut
  std::string streamed;
  REQUIRE(write_bind_head(streamed, "portal", "sluice_s12", rest.size()));
  CHECK(streamed + rest == renamed);
}

TEST_CASE("Bind readers reject every bad length", "[statements]") {
  const std::string names = cstr("") + cstr("");
  CHECK(read_bind(bytes_of(names + bind_rest({}, {}, {}))));
  CHECK_FALSE(read_bind(bytes_of(names)));                                                 // no format count
  CHECK_FALSE(read_bind(bytes_of(names + be16(2) + be16(0))));                             // 1 of 2 formats
  CHECK_FALSE(read_bind(bytes_of(names + be16(0) + be16(1))));                             // no value length
  CHECK_FALSE(read_bind(bytes_of(names + be16(0) + be16(1) + be32(5) + "abc" + be16(0))));  // value too short
  CHECK_FALSE(read_bind(bytes_of(names + be16(0) + be16(1) + be32(0xfffffffe) + be16(0))));  // length -2
  CHECK_FALSE(read_bind(bytes_of(names + be16(0) + be16(1) + be32(0x7fffffff) + be16(0))));  // huge length
  CHECK_FALSE(read_bind(bytes_of(names + be16(0) + be16(0))));                             // no result count
  CHECK_FALSE(read_bind(bytes_of(names + bind_rest({}, {}, {}) + "x")));                   // trailing byte
  CHECK_FALSE(read_bind(bytes_of(cstr("p") + "S_1")));                                     // unterminated name
}

TEST_CASE("Describe and Close: a target byte and a name", "[statements]") {
  const std::string describe_body = "SS_1\0"s;
  const auto describe = read_describe(bytes_of(describe_body));
  REQUIRE(describe);
  CHECK(describe->target == kTargetStatement);
  CHECK(describe->name == "S_1");
  const std::string close_body = "P\0"s;
  const auto close = read_close(bytes_of(close_body));
  REQUIRE(close);
  CHECK(close->target == kTargetPortal);
  CHECK(close->name.empty());
  CHECK_FALSE(read_describe(bytes_of("XS_1\0"s)));   // unknown target
  CHECK_FALSE(read_describe(bytes_of("S"s)));        // no name
  CHECK_FALSE(read_close(bytes_of("SS_1"s)));        // unterminated
  CHECK_FALSE(read_close(bytes_of("SS_1\0x"s)));     // trailing
  CHECK_FALSE(read_close(bytes_of(""s)));

  std::string out;
  REQUIRE(write_describe(out, kTargetStatement, "sluice_s1"));
  CHECK(only_message(out) == std::pair<char, std::string>{'D', "Ssluice_s1\0"s});
  out.clear();
  REQUIRE(write_close(out, kTargetPortal, "p"));
  CHECK(only_message(out) == std::pair<char, std::string>{'C', "Pp\0"s});
  CHECK_FALSE(write_close(out, 'X', "p"));
  CHECK_FALSE(write_describe(out, kTargetStatement, "a\0b"s));
  CHECK_FALSE(write_parse(out, "s", "q", bytes_of("abc"s)));  // not whole OIDs
  CHECK(out.size() == 8);  // the refused writes appended nothing

  std::string replies;
  write_parse_complete(replies);
  write_close_complete(replies);
  CHECK(replies == "1\0\0\0\4" "3\0\0\0\4"s);
}

TEST_CASE("statement messages from garbage never read out of bounds", "[statements]") {
  std::mt19937 random(99);
  for (int run = 0; run < 20000; ++run) {
    std::string body(random() % 48, '\0');
    for (char& c : body) c = static_cast<char>(random() % 4 == 0 ? random() : "\0\0\1\xff SP"[random() % 7]);
    const auto bytes = bytes_of(body);
    if (auto parse = read_parse(bytes)) {
      std::string out;
      REQUIRE(write_parse(out, parse->statement, parse->query, parse->parameter_types));
      CHECK(only_message(out).second == body);
    }
    if (auto bind = read_bind(bytes)) {
      std::string out;
      REQUIRE(write_bind(out, *bind, bind->statement));
      CHECK(only_message(out).second == body);
      const auto head = read_bind_head(bytes);
      REQUIRE(head);
      CHECK(head->rest_offset + bind->rest.size() == body.size());
    }
    if (auto describe = read_describe(bytes)) {
      std::string out;
      REQUIRE(write_describe(out, describe->target, describe->name));
      CHECK(only_message(out).second == body);
    }
  }
}
