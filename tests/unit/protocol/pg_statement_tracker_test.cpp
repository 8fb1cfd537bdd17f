// The prepared-statement tracker: a client's names renamed per backend, statements shared,
// evicted, re-prepared; the replies the client sees are exactly those it asked for, in order.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/statement_messages.hpp"
#include "sluice/protocol/postgres/statement_tracker.hpp"
#include "sluice/protocol/postgres/writers.hpp"

using namespace sluice::pg;
using namespace std::literals;

namespace {

const std::string kNoTypes;
const std::string kIntType = "\0\0\0\x17"s;  // one parameter, int4 (OID 23)
const std::string kBindRest = "\0\0\0\0\0\0"s;  // no formats, no values, no result formats

// One client and the backend serving it, as a session would drive them. `sent` lists what
// went to the backend ("P sluice_s1 SELECT 1", "B sluice_s1", "E", "S"...), `seen` the reply
// types the client got, in order (relayed or made by Sluice).
struct Link {
  ClientStatements* client;
  BackendStatements* backend;
  std::vector<std::string> sent;
  std::string seen;

  void take(StatementOutbox& out) {
    record_sent(out.to_backend);
    record_seen(out.to_client);
  }

  void record_sent(const std::string& bytes) {
    MessageScanner scanner(std::uint64_t{1} << 30);
    std::size_t start = 0;
    scanner.scan(bytes_of(bytes), [&](const MessageView& view) {
      const auto body = bytes_of(bytes).subspan(start + kHeaderLength, view.length - 4);
      start = view.end;
      switch (view.type) {
        case frontend::Parse: {
          const auto parse = read_parse(body);
          REQUIRE(parse);
          sent.push_back("P " + std::string(parse->statement) + " " + std::string(parse->query));
          break;
        }
        case frontend::Bind: sent.push_back("B " + std::string(read_bind(body)->statement)); break;
        case frontend::Describe: {
          const auto describe = read_describe(body);
          sent.push_back("D "s + describe->target + " " + std::string(describe->name));
          break;
        }
        case frontend::Close: {
          const auto close = read_close(body);
          sent.push_back("C "s + close->target + " " + std::string(close->name));
          break;
        }
        default: sent.push_back(std::string(1, view.type));
      }
    });
  }

  void record_seen(const std::string& bytes) {
    MessageScanner scanner(std::uint64_t{1} << 30);
    scanner.scan(bytes_of(bytes), [&](const MessageView& view) { seen.push_back(view.type); });
  }

  ParseOutcome parse(std::string_view name, std::string_view query, const std::string& types = kNoTypes) {
    StatementOutbox out;
    const auto outcome = backend->parse(*client, ParseMessage{name, query, bytes_of(types)}, out);
    take(out);
    return outcome;
  }
  void bind(std::string_view name, std::string_view portal = "") {
    StatementOutbox out;
    REQUIRE(backend->bind(*client, BindMessage{portal, name, bytes_of(kBindRest)}, out));
    take(out);
  }
  void describe(char target, std::string_view name) {
    StatementOutbox out;
    REQUIRE(backend->describe(*client, TargetMessage{target, name}, out));
    take(out);
  }
  void close(char target, std::string_view name) {
    StatementOutbox out;
    REQUIRE(backend->close(*client, TargetMessage{target, name}, out));
    take(out);
  }
  void other(char type) {
    backend->forwarded(type);
    sent.push_back(std::string(1, type));
  }
  // The backend's replies, in order.
  void reply(std::string_view types) {
    for (const char type : types) {
      std::string due;
      if (backend->on_server_message(type, client, due)) seen.push_back(type);
      record_seen(due);
    }
  }
};

using Sent = std::vector<std::string>;

std::shared_ptr<const StatementText> text_of(std::string_view query, const std::string& types = kNoTypes) {
  return make_statement_text(query, bytes_of(types));
}

}  // namespace

TEST_CASE("a pipelined batch: Parse/Bind/Execute twice before one Sync", "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  CHECK(link.parse("S_1", "SELECT $1", kIntType) == ParseOutcome::forwarded);
  link.bind("S_1");
  link.other(frontend::Execute);
  CHECK(link.parse("S_2", "SELECT 2") == ParseOutcome::forwarded);
  link.bind("S_2");
  link.other(frontend::Execute);
  link.other(frontend::Sync);
  CHECK(link.sent == Sent{"P sluice_s1 SELECT $1", "B sluice_s1", "E", "P sluice_s2 SELECT 2", "B sluice_s2", "E", "S"});
  CHECK(backend.requests_in_flight() == 7);
  CHECK_FALSE(client.find("S_1")->confirmed);

  link.reply("12DC12DCZ");
  CHECK(link.seen == "12DC12DCZ");
  CHECK(backend.requests_in_flight() == 0);
  CHECK(backend.prepared(*text_of("SELECT $1", kIntType)));
  CHECK(backend.server_name(*text_of("SELECT 2")) == "sluice_s2");
  CHECK_FALSE(backend.server_name(*text_of("SELECT $1")));  // parameter types are part of the identity
  CHECK(client.find("S_1")->confirmed);
  CHECK(client.size() == 2);
  CHECK_FALSE(backend.desynchronized());
}

// PgFrontend::scan_server relays rows without calling the tracker: that must change nothing.
TEST_CASE("rows and COPY data never change what is in flight, so a session may skip them", "[statements]") {
  for (const char row : {backend::DataRow, backend::CopyData}) {
    CHECK(BackendStatements::ignores(row));
    ClientStatements client;
    BackendStatements backend(200);
    Link link{&client, &backend};
    CHECK(link.parse("S_1", "SELECT 1") == ParseOutcome::forwarded);
    link.bind("S_1");
    link.other(frontend::Execute);
    link.other(frontend::Sync);
    for (const char reply : "12CZ"sv) {
      const auto in_flight = backend.requests_in_flight();
      std::string due;
      CHECK(backend.on_server_message(row, &client, due));
      CHECK(due.empty());
      CHECK(backend.requests_in_flight() == in_flight);
      CHECK_FALSE(backend.desynchronized());
      link.reply(std::string(1, reply));
    }
    CHECK(backend.requests_in_flight() == 0);
    CHECK(link.seen == "12CZ");
  }
  for (const char answer : "123CEIsnTtZ"sv) CHECK_FALSE(BackendStatements::ignores(answer));
}

TEST_CASE("the next transaction on another backend prepares first, and the client sees no extra reply",
          "[statements]") {
  ClientStatements client;
  BackendStatements first(200), second(200);
  Link on_first{&client, &first};
  on_first.parse("S_1", "SELECT 1");
  on_first.other(frontend::Sync);
  on_first.reply("1Z");

  Link on_second{&client, &second};
  on_second.bind("S_1", "portal");
  on_second.other(frontend::Execute);
  on_second.other(frontend::Sync);
  CHECK(on_second.sent == Sent{"P sluice_s1 SELECT 1", "B sluice_s1", "E", "S"});
  on_second.reply("12DCZ");
  CHECK(on_second.seen == "2DCZ");  // the ParseComplete of Sluice's Parse is swallowed
  CHECK(second.prepared(*text_of("SELECT 1")));
  CHECK(second.parses_sent() == 1);

  // Back on the first backend: nothing to prepare.
  on_first.seen.clear();
  on_first.sent.clear();
  on_first.bind("S_1");
  on_first.other(frontend::Sync);
  CHECK(on_first.sent == Sent{"B sluice_s1", "S"});
  on_first.reply("2Z");
  CHECK(on_first.seen == "2Z");
}

TEST_CASE("a statement defined without a backend is prepared where it is first used, a bad one fails there",
          "[statements]") {
  ClientStatements client;
  const std::vector<ParseMessage> batch{ParseMessage{"S_1", "SELECT $1::int", bytes_of(kIntType)},
                                        ParseMessage{"S_2", "SELEC broken", bytes_of(kNoTypes)}};
  REQUIRE(client.may_define(batch));
  for (const auto& parse : batch) REQUIRE(client.define(parse.statement, parse.query, parse.parameter_types));
  CHECK(client.size() == 2);
  CHECK(client.find("S_1")->confirmed);
  // Taken names, a name twice in one batch and the unnamed statement are not defined here.
  CHECK_FALSE(client.may_define(std::vector<ParseMessage>{ParseMessage{"S_1", "SELECT 2", {}}}));
  CHECK_FALSE(client.may_define(std::vector<ParseMessage>{ParseMessage{"S_3", "SELECT 3", {}},
                                                          ParseMessage{"S_3", "SELECT 4", {}}}));
  CHECK_FALSE(client.may_define(std::vector<ParseMessage>{ParseMessage{"", "SELECT 5", {}}}));
  CHECK_FALSE(client.define("S_1", "SELECT 2", {}));
  CHECK(client.find("S_1")->text->query == "SELECT $1::int");

  BackendStatements backend(200);
  // Bind, Execute, Sync of `name` on a fresh Link: what went to the backend.
  const auto run = [&](Link& link, std::string_view name) {
    link.bind(name);
    link.other(frontend::Execute);
    link.other(frontend::Sync);
    return link.sent;
  };
  Link first_use{&client, &backend};
  CHECK(run(first_use, "S_1") == Sent{"P sluice_s1 SELECT $1::int", "B sluice_s1", "E", "S"});
  first_use.reply("12DCZ");
  CHECK(first_use.seen == "2DCZ");

  // The server reads S_2's text only now: its error answers the Bind, and the rest is skipped
  // to the Sync. The client keeps the name (each use fails the same way, as the server says).
  Link bad_use{&client, &backend};
  CHECK(run(bad_use, "S_2") == Sent{"P sluice_s2 SELEC broken", "B sluice_s2", "E", "S"});
  bad_use.reply("EZ");
  CHECK(bad_use.seen == "EZ");
  CHECK_FALSE(backend.prepared(*text_of("SELEC broken")));
  CHECK(client.find("S_2") != nullptr);
}

TEST_CASE("ClientStatements::may_define keeps to the client's limits", "[statements]") {
  ClientStatements client(ClientStatementLimits{2, 64});
  REQUIRE(client.define("a", "SELECT 1", {}));
  CHECK(client.may_define(std::vector<ParseMessage>{ParseMessage{"b", "SELECT 2", {}}}));
  CHECK_FALSE(client.may_define(std::vector<ParseMessage>{ParseMessage{"b", "SELECT 2", {}},
                                                          ParseMessage{"c", "SELECT 3", {}}}));
  CHECK_FALSE(client.may_define(std::vector<ParseMessage>{ParseMessage{"b", std::string(80, 'x'), {}}}));
}

TEST_CASE("Describe alone prepares first, with Flush and without Sync", "[statements]") {
  ClientStatements client;
  BackendStatements first(200), second(200);
  Link on_first{&client, &first};
  on_first.parse("S_1", "SELECT 1");
  on_first.other(frontend::Sync);
  on_first.reply("1Z");

  Link link{&client, &second};
  link.describe(kTargetStatement, "S_1");
  link.other(frontend::Flush);
  CHECK(link.sent == Sent{"P sluice_s1 SELECT 1", "D S sluice_s1", "H"});
  link.reply("1tT");
  CHECK(link.seen == "tT");
  CHECK(second.requests_in_flight() == 0);
  // A portal's Describe is sent on as it is.
  link.describe(kTargetPortal, "p");
  CHECK(link.sent.back() == "D P p");
  link.reply("n");
  CHECK(link.seen == "tTn");
}

TEST_CASE("Close forgets the client's name, keeps the backend's statement and answers in order", "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  link.parse("S_1", "SELECT 1");
  link.other(frontend::Sync);
  link.reply("1Z");

  // Nothing in flight: CloseComplete at once, nothing sent.
  link.close(kTargetStatement, "S_1");
  CHECK(link.seen == "1Z3");
  CHECK(link.sent == Sent{"P sluice_s1 SELECT 1", "S"});
  CHECK_FALSE(client.find("S_1"));
  CHECK(backend.prepared(*text_of("SELECT 1")));

  // The client may reuse the name; the backend already has the text: ParseComplete by Sluice.
  CHECK(link.parse("S_1", "SELECT 1") == ParseOutcome::shared);
  CHECK(link.seen == "1Z31");
  CHECK(link.sent.size() == 2);

  // In a pipeline, Sluice's CloseComplete waits for the replies before it.
  link.bind("S_1");
  link.other(frontend::Execute);
  link.close(kTargetStatement, "S_1");
  link.other(frontend::Sync);
  CHECK(link.seen == "1Z31");
  link.reply("2DC");
  CHECK(link.seen == "1Z312DC3");
  link.reply("Z");
  CHECK(link.seen == "1Z312DC3Z");

  // Closing a portal, the unnamed statement or a name the client never made goes to the backend.
  link.close(kTargetPortal, "p");
  link.close(kTargetStatement, "");
  link.close(kTargetStatement, "never");
  CHECK(std::vector<std::string>(link.sent.end() - 3, link.sent.end()) == Sent{"C P p", "C S ", "C S never"});
  link.reply("333");
  CHECK(link.seen == "1Z312DC3Z333");
}

TEST_CASE("eviction closes the least recently used statements and the client sees none of it", "[statements]") {
  ClientStatements client;
  BackendStatements backend(2);
  Link link{&client, &backend};
  link.parse("a", "SELECT 'a'");
  link.parse("b", "SELECT 'b'");
  link.parse("c", "SELECT 'c'");
  link.other(frontend::Sync);
  CHECK(backend.size() == 3);  // nothing to evict while all three are being prepared
  link.reply("111Z");
  CHECK(backend.size() == 3);

  link.parse("d", "SELECT 'd'");
  link.other(frontend::Sync);
  CHECK(link.sent == Sent{"P sluice_s1 SELECT 'a'", "P sluice_s2 SELECT 'b'", "P sluice_s3 SELECT 'c'", "S",
                          "P sluice_s4 SELECT 'd'", "C S sluice_s1", "C S sluice_s2", "S"});
  link.reply("133Z");
  CHECK(link.seen == "111Z1Z");
  CHECK(backend.size() == 2);
  CHECK(backend.evictions() == 2);
  CHECK_FALSE(backend.server_name(*text_of("SELECT 'a'")));

  // The client still has "a": using it prepares it again, under a new name, evicting "c".
  link.bind("a");
  link.other(frontend::Sync);
  CHECK(std::vector<std::string>(link.sent.end() - 4, link.sent.end()) ==
        Sent{"P sluice_s5 SELECT 'a'", "C S sluice_s3", "B sluice_s5", "S"});
  link.reply("132Z");
  CHECK(link.seen == "111Z1Z2Z");
  CHECK(backend.server_name(*text_of("SELECT 'a'")) == "sluice_s5");
  CHECK(backend.server_name(*text_of("SELECT 'd'")) == "sluice_s4");
}

TEST_CASE("a statement still used by a queued Bind is not evicted", "[statements]") {
  ClientStatements client;
  BackendStatements backend(1);
  Link link{&client, &backend};
  link.parse("a", "SELECT 'a'");
  link.other(frontend::Sync);
  link.reply("1Z");
  link.bind("a");  // queued, not yet answered
  link.parse("b", "SELECT 'b'");
  link.other(frontend::Sync);
  CHECK(std::vector<std::string>(link.sent.end() - 3, link.sent.end()) == Sent{"B sluice_s1", "P sluice_s2 SELECT 'b'", "S"});
  CHECK(backend.size() == 2);
  link.reply("21Z");
  // The next change evicts what is over the limit.
  link.parse("c", "SELECT 'c'");
  CHECK(std::vector<std::string>(link.sent.end() - 3, link.sent.end()) ==
        Sent{"P sluice_s3 SELECT 'c'", "C S sluice_s1", "C S sluice_s2"});
  link.other(frontend::Sync);
  link.reply("133Z");
  CHECK(link.seen == "1Z21Z1Z");
  CHECK(backend.size() == 1);
}

TEST_CASE("a failing Parse is not recorded, and the messages after it are skipped to Sync", "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  CHECK(link.parse("bad", "SELEC 1") == ParseOutcome::forwarded);
  link.bind("bad");
  link.other(frontend::Execute);
  link.close(kTargetStatement, "other");  // unknown name: sent on
  link.other(frontend::Sync);
  CHECK(link.sent == Sent{"P sluice_s1 SELEC 1", "B sluice_s1", "E", "C S other", "S"});
  link.reply("EZ");  // the error, then the backend skips to the Sync
  CHECK(link.seen == "EZ");
  CHECK(backend.requests_in_flight() == 0);
  CHECK(backend.size() == 0);
  CHECK_FALSE(backend.server_name(*text_of("SELEC 1")));
  CHECK_FALSE(client.find("bad"));  // the name is free again, as in PostgreSQL
  CHECK(link.parse("bad", "SELECT 1") == ParseOutcome::forwarded);
  CHECK_FALSE(backend.desynchronized());
}

TEST_CASE("a Parse Sluice adds that fails: the client's statement stays, the backend has none", "[statements]") {
  ClientStatements client;
  BackendStatements first(200), second(200);
  Link on_first{&client, &first};
  on_first.parse("S_1", "SELECT * FROM only_on_first");
  on_first.other(frontend::Sync);
  on_first.reply("1Z");

  Link link{&client, &second};
  link.bind("S_1");
  link.other(frontend::Execute);
  link.other(frontend::Sync);
  link.reply("EZ");
  CHECK(link.seen == "EZ");  // the client sees the error where its Bind failed
  CHECK_FALSE(second.server_name(*text_of("SELECT * FROM only_on_first")));
  CHECK(client.find("S_1"));
  // Next time it is prepared again.
  link.bind("S_1");
  CHECK(link.sent[link.sent.size() - 2] == "P sluice_s2 SELECT * FROM only_on_first");
}

TEST_CASE("after an error the backend skips until Sync, even messages not sent yet", "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  link.parse("keep", "SELECT 1");
  link.other(frontend::Sync);
  link.reply("1Z");

  link.parse("bad", "SELEC");
  link.other(frontend::Flush);
  link.reply("E");
  CHECK(backend.requests_in_flight() == 0);
  // Sent after the error, before the Sync: the backend will ignore them, so Sluice must not
  // answer them either, nor forget "keep".
  link.close(kTargetStatement, "keep");
  CHECK(link.parse("new", "SELECT 2") == ParseOutcome::skipped);
  CHECK(link.sent.back() == "P new SELECT 2");  // sent as it came: the backend ignores it
  link.other(frontend::Sync);
  link.reply("Z");
  CHECK(link.seen == "1ZEZ");
  CHECK(client.find("keep"));
  CHECK_FALSE(client.find("new"));
  CHECK_FALSE(backend.server_name(*text_of("SELECT 2")));
  CHECK_FALSE(backend.desynchronized());
}

TEST_CASE("a skipped evicting Close leaves the statement known", "[statements]") {
  ClientStatements client;
  BackendStatements backend(1);
  Link link{&client, &backend};
  link.parse("a", "SELECT 'a'");
  link.other(frontend::Sync);
  link.reply("1Z");
  link.parse("bad", "SELEC");  // evicts "a": its Close follows the Parse
  link.other(frontend::Sync);
  CHECK(std::vector<std::string>(link.sent.end() - 3, link.sent.end()) == Sent{"P sluice_s2 SELEC", "C S sluice_s1", "S"});
  link.reply("EZ");  // the Close was skipped: sluice_s1 is still prepared there
  CHECK(backend.server_name(*text_of("SELECT 'a'")) == "sluice_s1");
  CHECK(backend.prepared(*text_of("SELECT 'a'")));
  link.bind("a");
  CHECK(link.sent.back() == "B sluice_s1");
}

TEST_CASE("a backend lost mid-batch: its state is dropped, the client keeps what was confirmed", "[statements]") {
  ClientStatements client;
  auto lost = std::make_unique<BackendStatements>(200);
  Link link{&client, lost.get()};
  link.parse("confirmed", "SELECT 1");
  link.other(frontend::Sync);
  link.reply("1Z");
  link.parse("pending", "SELECT 2");
  link.bind("pending");
  link.other(frontend::Sync);
  // The connection dies before any reply.
  lost.reset();
  client.forget_unconfirmed();
  CHECK(client.find("confirmed"));
  CHECK_FALSE(client.find("pending"));

  BackendStatements fresh(200);
  Link again{&client, &fresh};
  again.bind("confirmed");
  again.other(frontend::Sync);
  CHECK(again.sent == Sent{"P sluice_s1 SELECT 1", "B sluice_s1", "S"});
  again.reply("12Z");
  CHECK(again.seen == "2Z");
}

TEST_CASE("two clients share one statement on one backend", "[statements]") {
  ClientStatements alice, bob;
  BackendStatements backend(200);
  Link a{&alice, &backend};
  a.parse("S_1", "SELECT * FROM t WHERE id = $1", kIntType);
  a.other(frontend::Sync);
  a.reply("1Z");

  Link b{&bob, &backend};
  b.bind("S_0");  // a name bob never made: sent on, the backend answers as PostgreSQL would
  CHECK(b.parse("mine", "SELECT * FROM t WHERE id = $1", kIntType) == ParseOutcome::shared);
  b.bind("mine");
  b.other(frontend::Execute);
  b.other(frontend::Sync);
  CHECK(b.sent == Sent{"B S_0", "B sluice_s1", "E", "S"});
  CHECK(b.seen.empty());  // bob's ParseComplete waits for the reply to his first Bind
  b.reply("E");
  CHECK(b.seen == "E");
  b.reply("Z");
  CHECK(b.seen == "EZ");
  CHECK_FALSE(bob.find("mine"));  // skipped after the error, as PostgreSQL would

  b.seen.clear();
  CHECK(b.parse("mine", "SELECT * FROM t WHERE id = $1", kIntType) == ParseOutcome::shared);
  b.bind("mine");
  b.other(frontend::Execute);
  b.other(frontend::Sync);
  b.reply("2DCZ");
  CHECK(b.seen == "12DCZ");
  CHECK(backend.size() == 1);
  CHECK(backend.parses_sent() == 1);
  CHECK(*bob.find("mine")->text == *alice.find("S_1")->text);  // equal definitions, one statement
}

TEST_CASE("names, limits and the unnamed statement", "[statements]") {
  ClientStatements client(ClientStatementLimits{2, 1024});
  BackendStatements backend(200);
  Link link{&client, &backend};
  CHECK(link.parse("", "SELECT 1") == ParseOutcome::unnamed);
  link.bind("");
  CHECK(link.sent == Sent{"P  SELECT 1", "B "});
  CHECK(link.parse("a", "SELECT 1") == ParseOutcome::forwarded);
  CHECK(link.parse("b", std::string(2000, 'x')) == ParseOutcome::over_limit);
  CHECK(link.parse("b", "SELECT 3") == ParseOutcome::forwarded);
  CHECK(link.parse("c", "SELECT 4") == ParseOutcome::over_limit);
  CHECK(link.sent.size() == 4);  // Parses over the limits sent nothing
  CHECK(client.size() == 2);
  link.other(frontend::Sync);
  link.reply("1211Z");
  CHECK(link.seen == "1211Z");
  CHECK(client.deallocate("a"));
  CHECK_FALSE(client.deallocate("a"));
  CHECK(client.size() == 1);
}

namespace {
// An ErrorResponse's body, as a backend sends it.
std::string error_body(std::string_view sqlstate, std::string_view message) {
  std::string framed;
  write_error_response(framed, "ERROR", sqlstate, message);
  return framed.substr(kHeaderLength);
}

// The client prepares "a" (SELECT 1) in a round trip of its own; the link's records start empty.
void prepare_first_a(Link& link) {
  CHECK(link.parse("a", "SELECT 1") == ParseOutcome::forwarded);
  link.other(frontend::Sync);
  link.reply("1Z");
  link.sent.clear();
  link.seen.clear();
}
}  // namespace

TEST_CASE("a Parse of a name the client has fails as in PostgreSQL: 42P05, skip to Sync, the first statement kept",
          "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  prepare_first_a(link);

  // Parse a again, then Bind and Execute in the same group: PostgreSQL fails the Parse and skips the rest.
  CHECK(link.parse("a", "SELECT 2") == ParseOutcome::duplicate_name);
  link.bind("a");
  link.other(frontend::Execute);
  link.other(frontend::Sync);
  CHECK(link.sent == Sent{"P sluice_refused SELECT sluice_statement_name_in_use", "B sluice_s1", "E", "S"});

  // The backend's error for the stand-in Parse becomes the client's 42P05.
  const auto refused = error_body("42703", "column \"sluice_statement_name_in_use\" does not exist");
  const auto replacement = backend.duplicate_name_error(bytes_of(refused));
  REQUIRE(replacement);
  const auto fields = read_error_fields(bytes_of(*replacement).subspan(kHeaderLength));
  REQUIRE(fields);
  CHECK(fields->sqlstate == "42P05");
  CHECK(fields->message == "prepared statement \"a\" already exists");
  // In a failed transaction block the backend says 25P02 first, as it would to the client's Parse.
  CHECK_FALSE(backend.duplicate_name_error(bytes_of(error_body("25P02", "current transaction is aborted"))));
  link.reply("EZ");
  CHECK(link.seen == "EZ");
  CHECK(backend.requests_in_flight() == 0);
  CHECK_FALSE(backend.desynchronized());

  // The client's first statement is untouched and still runs.
  CHECK(client.find("a")->text->query == "SELECT 1");
  CHECK_FALSE(backend.duplicate_name_error(bytes_of(refused)));  // nothing refused in flight now
  link.sent.clear();
  link.bind("a");
  link.other(frontend::Sync);
  CHECK(link.sent == Sent{"B sluice_s1", "S"});
}

TEST_CASE("a Parse of a name in use, after an error in its group, is skipped like the rest", "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  prepare_first_a(link);
  link.bind("missing");
  link.reply("E");  // the backend now skips to Sync
  CHECK(link.parse("a", "SELECT 2") == ParseOutcome::skipped);
  link.other(frontend::Sync);
  link.reply("Z");
  CHECK(backend.requests_in_flight() == 0);
  CHECK(client.find("a")->text->query == "SELECT 1");
}

TEST_CASE("DEALLOCATE ALL and DISCARD ALL empty both sides", "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  link.parse("a", "SELECT 1");
  link.other(frontend::Sync);
  link.reply("1Z");
  link.other(frontend::Query);  // DISCARD ALL
  backend.forget_all();
  link.reply("CZ");
  client.deallocate_all();
  CHECK(backend.size() == 0);
  CHECK(client.size() == 0);
  CHECK(link.seen == "1ZCZ");
  CHECK(link.parse("a", "SELECT 1") == ParseOutcome::forwarded);
  CHECK(link.sent.back() == "P sluice_s2 SELECT 1");
}

TEST_CASE("SQL DEALLOCATE of a client's statement deallocates Sluice's name, preparing it here first if need be",
          "[statements]") {
  ClientStatements client;
  BackendStatements first(200);
  Link link{&client, &first};
  link.parse("a", "SELECT 1");
  link.other(frontend::Sync);
  link.reply("1Z");
  StatementOutbox out;
  CHECK(first.deallocate(client, "a", out) == std::optional<std::string>("sluice_s1"));
  CHECK(out.to_backend.empty());  // prepared here: only the Query, renamed
  CHECK(client.size() == 0);
  CHECK(first.size() == 0);
  CHECK_FALSE(first.deallocate(client, "a", out));  // gone: the backend answers for itself

  // On a backend that never had it: a Parse first (its ParseComplete swallowed), then the Query.
  link.parse("b", "SELECT 2");
  link.other(frontend::Sync);
  link.reply("1Z");
  BackendStatements second(200);
  Link other{&client, &second};
  StatementOutbox prepare;
  const auto name = second.deallocate(client, "b", prepare);
  REQUIRE(name);
  other.take(prepare);
  CHECK(other.sent == Sent{"P " + *name + " SELECT 2"});
  other.other(frontend::Query);
  other.reply("1CZ");
  CHECK(other.seen == "CZ");
  CHECK_FALSE(second.desynchronized());
}

TEST_CASE("simple queries, COPY and notices pass through the queue", "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  link.other(frontend::Query);
  link.reply("TDDCNSAZ");
  link.other(frontend::Query);  // COPY t FROM STDIN
  link.other(frontend::CopyData);
  link.other(frontend::CopyDone);
  link.reply("GCZ");
  link.other(frontend::Query);  // a failing query: its ReadyForQuery still follows
  link.reply("EZ");
  link.parse("s", "COPY t TO STDOUT");
  link.bind("s");
  link.other(frontend::Execute);
  link.other(frontend::Sync);
  link.reply("12HddcCZ");
  CHECK(link.seen == "TDDCNSAZGCZEZ12HddcCZ");
  CHECK(backend.requests_in_flight() == 0);
  CHECK_FALSE(backend.desynchronized());
}

TEST_CASE("a reply nothing asked for marks the backend desynchronized", "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  std::string due;
  CHECK(backend.on_server_message(backend::ParseComplete, &client, due));
  CHECK(backend.desynchronized());
  BackendStatements other(200);
  CHECK(other.on_server_message(backend::ReadyForQuery, nullptr, due));
  CHECK(other.desynchronized());
  CHECK(due.empty());
}

TEST_CASE("a streamed Bind is renamed like a whole one", "[statements]") {
  ClientStatements client;
  BackendStatements first(200), second(200);
  StatementOutbox setup;
  REQUIRE(first.parse(client, ParseMessage{"S_1", "SELECT 1", {}}, setup) == ParseOutcome::forwarded);
  REQUIRE(second.parse(client, ParseMessage{"S_2", "SELECT 2", {}}, setup) == ParseOutcome::forwarded);

  const std::string rest = kBindRest;
  StatementOutbox whole, streamed;
  REQUIRE(first.bind(client, BindMessage{"p", "S_1", bytes_of(rest)}, whole));
  REQUIRE(second.bind_head(client, BindHead{"p", "S_1", 6}, rest.size(), streamed));
  // Both backends had to prepare S_1 (second has it under another name), then renamed the Bind.
  Link check{&client, &second};
  check.record_sent(streamed.to_backend + rest);
  CHECK(check.sent == Sent{"P sluice_s2 SELECT 1", "B sluice_s2"});
  std::string expected;
  REQUIRE(write_bind(expected, BindMessage{"p", "sluice_s2", bytes_of(rest)}, "sluice_s2"));
  CHECK((streamed.to_backend + rest).ends_with(expected));
  CHECK(whole.to_backend.ends_with(rest));
}

TEST_CASE("a client cannot name Sluice's own statements", "[statements]") {
  ClientStatements alice, mallory;
  BackendStatements backend(200);
  Link a{&alice, &backend};
  a.parse("S_1", "SELECT secret");
  a.other(frontend::Sync);
  a.reply("1Z");

  Link m{&mallory, &backend};
  m.bind("sluice_s1");
  m.describe(kTargetStatement, "sluice_s1");
  m.close(kTargetStatement, "sluice_s1");
  m.bind("sluice_stats");  // not one of Sluice's names: sent as it is
  CHECK(m.sent == Sent{"B sluice_s", "D S sluice_s", "C S sluice_s", "B sluice_stats"});
  CHECK(backend.prepared(*text_of("SELECT secret")));
  // A client may of course call its own statement that, and it is renamed like any other.
  CHECK(m.parse("sluice_s1", "SELECT mine") == ParseOutcome::forwarded);
  CHECK(m.sent.back() == "P sluice_s2 SELECT mine");
}

TEST_CASE("a Parse of a definition whose first Parse is unanswered asks the backend too", "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  link.parse("a", "SELEC");
  link.other(frontend::Sync);
  CHECK(link.parse("b", "SELEC") == ParseOutcome::forwarded);  // not "shared": "a" may yet fail
  link.other(frontend::Sync);
  CHECK(link.sent == Sent{"P sluice_s1 SELEC", "S", "P sluice_s2 SELEC", "C S sluice_s2", "S"});
  link.reply("EZEZ");  // both fail where the client sent them
  CHECK(link.seen == "EZEZ");
  CHECK(client.size() == 0);
  CHECK(backend.size() == 0);

  link.parse("c", "SELECT 1");
  link.parse("d", "SELECT 1");
  link.other(frontend::Sync);
  link.reply("113Z");  // the copy's CloseComplete is Sluice's
  CHECK(link.seen == "EZEZ11Z");
  CHECK(client.find("c")->confirmed);
  CHECK(client.find("d")->confirmed);
  CHECK(backend.size() == 1);
  link.bind("d");
  CHECK(link.sent.back() == "B sluice_s3");
}

TEST_CASE("a failed group is undone last first: a name closed and parsed again gets its first meaning back",
          "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  link.parse("a", "SELECT 1");
  link.other(frontend::Sync);
  link.reply("1Z");
  link.parse("bad", "SELEC");
  link.close(kTargetStatement, "a");
  CHECK(link.parse("a", "SELECT 2") == ParseOutcome::forwarded);
  link.other(frontend::Sync);
  link.reply("EZ");  // "bad" failed: the Close and the second Parse of "a" never happened
  CHECK(link.seen == "1ZEZ");
  REQUIRE(client.find("a"));
  CHECK(client.find("a")->text->query == "SELECT 1");
  CHECK_FALSE(client.find("bad"));
}

TEST_CASE("settled: a name whose meaning waits on an unanswered earlier Sync", "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  link.parse("a", "SELECT 1");
  CHECK(backend.settled(client, "a"));  // same group: PostgreSQL's order decides, Sluice follows it
  link.other(frontend::Sync);
  CHECK_FALSE(backend.settled(client, "a"));  // did that group fail? not known yet
  CHECK(backend.settled(client, "b"));
  link.reply("1");
  CHECK(backend.settled(client, "a"));
  link.close(kTargetStatement, "a");  // answered at once: nothing in flight before it
  link.reply("Z");
  link.bind("x");
  link.other(frontend::Sync);
  link.parse("c", "SELECT 3");
  link.close(kTargetStatement, "c");
  link.other(frontend::Sync);
  CHECK_FALSE(backend.settled(client, "c"));
  link.reply("EZ1");
  CHECK(backend.settled(client, "c"));
  link.reply("Z");
  CHECK(link.seen == "1Z3EZ13Z");
}

TEST_CASE("settled: a Parse Sluice sent for the definition in an earlier group is unanswered", "[statements]") {
  // Found by the pg_statement_messages fuzz target: the second Bind was renamed to the name of
  // a Parse injected before a Sync whose group then failed.
  ClientStatements client;
  BackendStatements backend(1);
  Link link{&client, &backend};
  link.parse("a", "SELECT 1");
  link.reply("1");
  link.bind("");                    // no unnamed statement: this will fail
  link.parse("b", "SELECT 2");      // evicts "a"
  link.bind("a");                   // prepares "a" again, as sluice_s3
  link.other(frontend::Sync);
  CHECK_FALSE(backend.settled(client, "a"));  // was sluice_s3 prepared, or is sluice_s1 still there?
  link.reply("EZ");
  CHECK(backend.settled(client, "a"));
  link.bind("a");
  CHECK(link.sent.back() == "B sluice_s1");  // the group failed: the evicting Close was skipped
}

TEST_CASE("a Close undone after a failure is restored even at the client's limit", "[statements]") {
  // Found by the pg_statement_messages fuzz target.
  ClientStatements client(ClientStatementLimits{2, 1024});
  BackendStatements backend(200);
  Link link{&client, &backend};
  link.parse("a", "SELECT 1");
  link.other(frontend::Sync);
  link.reply("1Z");
  link.parse("bad", "SELEC");  // fails, so the Close after it is skipped
  link.close(kTargetStatement, "a");
  link.other(frontend::Sync);
  CHECK(link.parse("c", "SELECT 3") == ParseOutcome::forwarded);  // the next group: two names again
  link.other(frontend::Sync);
  link.reply("EZ1Z");
  CHECK(client.find("a"));
  CHECK_FALSE(client.find("bad"));
  CHECK(client.find("c"));
  CHECK(link.seen == "1ZEZ1Z");
}

TEST_CASE("a definition is shared only under the same search_path, another one closes it and prepares anew",
          "[statements]") {
  ClientStatements a, b;
  BackendStatements backend(200);
  Link on_a{&a, &backend};
  backend.use_context("sa");
  on_a.parse("q", "SELECT * FROM shaped");
  on_a.other(frontend::Sync);
  on_a.reply("1Z");

  Link on_b{&b, &backend};
  backend.use_context("sb");
  CHECK(on_b.parse("q", "SELECT * FROM shaped") == ParseOutcome::forwarded);  // not shared
  on_b.other(frontend::Sync);
  CHECK(on_b.sent == Sent{"C S sluice_s1", "P sluice_s2 SELECT * FROM shaped", "S"});
  on_b.reply("31Z");
  CHECK(on_b.seen == "1Z");  // the CloseComplete of Sluice's Close is swallowed
  CHECK(backend.server_name(*text_of("SELECT * FROM shaped")) == "sluice_s2");

  // The same search_path shares as before.
  ClientStatements c;
  Link on_c{&c, &backend};
  CHECK(on_c.parse("q", "SELECT * FROM shaped") == ParseOutcome::shared);
}

TEST_CASE("a statement PostgreSQL can no longer run as prepared is forgotten, and its next Parse goes to the backend",
          "[statements]") {
  ClientStatements client;
  BackendStatements backend(200);
  Link link{&client, &backend};
  link.parse("q1", "SELECT * FROM t");
  link.other(frontend::Sync);
  link.reply("1Z");
  link.bind("q1");
  link.other(frontend::Execute);
  link.other(frontend::Sync);
  // "cached plan must not change result type" answers the Bind.
  backend.forget_failing_definition();
  link.reply("EZ");
  CHECK_FALSE(backend.server_name(*text_of("SELECT * FROM t")));
  link.sent.clear();
  CHECK(link.parse("q2", "SELECT * FROM t") == ParseOutcome::forwarded);
  CHECK(link.sent == Sent{"P sluice_s2 SELECT * FROM t"});
  CHECK_FALSE(backend.desynchronized());
}
