// Parse, Bind, Describe and Close as the statement tracker reads and renames them, and the
// tracker itself (BackendStatements / ClientStatements) driven the way a session will drive it.
//
// The same input is used twice:
//   1. as raw bytes: one message body for every reader, and a client message stream framed by
//      the scanner. What a reader accepts, its writer writes back byte for byte, and renamed,
//      reads back with only the name changed.
//   2. as a program: a few operations per byte (a client's Parse/Bind/Describe/Close/Execute/
//      Sync/Flush with names and queries from small sets, "deliver replies", "switch client").
//      Two clients share one backend through Sluice; each also talks to a PostgreSQL of its
//      own. Both backends are the same model (FakeBackend: which statements exist, a query
//      starting with "!" fails, skip to Sync after an error). The invariant is the point of
//      the tracker: each client sees exactly the reply types it would see talking to
//      PostgreSQL directly, whatever the eviction limit and whenever replies arrive; every
//      definition the tracker believes prepared is prepared, under that name, on the backend;
//      at rest nothing is in flight and the queue never lost track.
// The model drops the unnamed statement, on both sides, when a client's turn on the backend ends:
// in transaction mode the unnamed statement does not follow a client (see docs/limits.md).
#include <cstdint>
#include <cstdio>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"
#include "sluice/protocol/postgres/statement_messages.hpp"
#include "sluice/protocol/postgres/statement_tracker.hpp"
#include "sluice/protocol/postgres/wire_reader.hpp"

namespace {

using namespace sluice;

constexpr std::string_view kRenamed = "sluice_s99";

// --- 1. readers and writers -------------------------------------------------------------

std::string framed(char type, std::span<const std::uint8_t> body) {
  std::string out(1, type);
  pg::append_be32(out, static_cast<std::uint32_t>(body.size() + 4));
  out.append(pg::as_string_view(body));
  return out;
}

void check_parse(std::span<const std::uint8_t> body) {
  const auto parse = pg::read_parse(body);
  if (!parse) return;
  SLUICE_FUZZ_CHECK(parse->parameter_types.size() == parse->parameter_count() * 4);
  std::string same, renamed;
  SLUICE_FUZZ_CHECK(pg::write_parse(same, parse->statement, parse->query, parse->parameter_types));
  SLUICE_FUZZ_CHECK(same == framed(pg::frontend::Parse, body));
  SLUICE_FUZZ_CHECK(pg::write_parse(renamed, kRenamed, parse->query, parse->parameter_types));
  const auto reread = pg::read_parse(pg::bytes_of(renamed).subspan(pg::kHeaderLength));
  SLUICE_FUZZ_CHECK(reread && reread->statement == kRenamed && reread->query == parse->query);
  SLUICE_FUZZ_CHECK(pg::as_string_view(reread->parameter_types) == pg::as_string_view(parse->parameter_types));
}

void check_bind(std::span<const std::uint8_t> body) {
  const auto head = pg::read_bind_head(body);
  const auto bind = pg::read_bind(body);
  if (!bind) return;
  SLUICE_FUZZ_CHECK(head && head->portal == bind->portal && head->statement == bind->statement);
  SLUICE_FUZZ_CHECK(head->rest_offset + bind->rest.size() == body.size());
  std::string same, renamed, streamed;
  SLUICE_FUZZ_CHECK(pg::write_bind(same, *bind, bind->statement));
  SLUICE_FUZZ_CHECK(same == framed(pg::frontend::Bind, body));
  SLUICE_FUZZ_CHECK(pg::write_bind(renamed, *bind, kRenamed));
  SLUICE_FUZZ_CHECK(pg::write_bind_head(streamed, bind->portal, kRenamed, bind->rest.size()));
  SLUICE_FUZZ_CHECK(streamed + std::string(pg::as_string_view(bind->rest)) == renamed);
  const auto reread = pg::read_bind(pg::bytes_of(renamed).subspan(pg::kHeaderLength));
  SLUICE_FUZZ_CHECK(reread && reread->portal == bind->portal && reread->statement == kRenamed);
  SLUICE_FUZZ_CHECK(pg::as_string_view(reread->rest) == pg::as_string_view(bind->rest));
}

void check_target(std::span<const std::uint8_t> body, char type) {
  const auto message = type == pg::frontend::Describe ? pg::read_describe(body) : pg::read_close(body);
  if (!message) return;
  std::string same;
  const bool written = type == pg::frontend::Describe ? pg::write_describe(same, message->target, message->name)
                                                      : pg::write_close(same, message->target, message->name);
  SLUICE_FUZZ_CHECK(written && same == framed(type, body));
}

void check_readers(std::span<const std::uint8_t> input) {
  check_parse(input);
  check_bind(input);
  check_target(input, pg::frontend::Describe);
  check_target(input, pg::frontend::Close);
  const std::string stream(fuzz::as_text(input));
  pg::MessageScanner scanner(std::uint64_t{1} << 30);
  std::size_t start = 0;
  scanner.scan(pg::bytes_of(stream), [&](const pg::MessageView& view) {
    const auto body = pg::bytes_of(stream).subspan(start + pg::kHeaderLength, view.length - 4);
    start = view.end;
    if (view.type == pg::frontend::Parse) check_parse(body);
    if (view.type == pg::frontend::Bind) check_bind(body);
    if (view.type == pg::frontend::Describe || view.type == pg::frontend::Close) check_target(body, view.type);
  });
}

// --- 2. the tracker against a direct PostgreSQL -------------------------------------------

// A backend reduced to what the extended protocol's replies depend on.
class FakeBackend {
 public:
  void receive(char type, std::span<const std::uint8_t> body, std::string& replies) {
    if (type == pg::frontend::Sync) {
      skipping_ = false;
      replies += 'Z';
      return;
    }
    if (skipping_) return;  // after an error, everything up to Sync is ignored (Query too)
    switch (type) {
      case pg::frontend::Parse: return on_parse(body, replies);
      case pg::frontend::Bind: {
        const auto bind = pg::read_bind(body);
        if (!bind || !statements_.contains(bind->statement)) return fail(replies);
        replies += '2';
        return;
      }
      case pg::frontend::Describe: {
        const auto describe = pg::read_describe(body);
        if (!describe) return fail(replies);
        if (describe->target == pg::kTargetPortal) {
          replies += 'n';
        } else if (statements_.contains(describe->name)) {
          replies += "tn";
        } else {
          fail(replies);
        }
        return;
      }
      case pg::frontend::Close: {
        const auto close = pg::read_close(body);
        if (!close) return fail(replies);
        if (close->target == pg::kTargetStatement) statements_.erase(std::string(close->name));
        replies += '3';
        return;
      }
      case pg::frontend::Execute: replies += 'C'; return;
      default: return;  // Flush
    }
  }

  const std::string* query_of(std::string_view name) const {
    const auto it = statements_.find(name);
    return it == statements_.end() ? nullptr : &it->second;
  }
  void forget_unnamed() { statements_.erase(""); }

 private:
  void on_parse(std::span<const std::uint8_t> body, std::string& replies) {
    const auto parse = pg::read_parse(body);
    // Fails as PostgreSQL fails the text Sluice sends in place of a Parse of a name in use.
    if (!parse || parse->query.starts_with('!') || parse->query == pg::BackendStatements::kRefusedParseQuery) {
      return fail(replies);
    }
    if (!parse->statement.empty() && statements_.contains(parse->statement)) return fail(replies);  // 42P05
    statements_[std::string(parse->statement)] = std::string(parse->query);
    replies += '1';
  }
  void fail(std::string& replies) {
    replies += 'E';
    skipping_ = true;
  }

  std::map<std::string, std::string, std::less<>> statements_;
  bool skipping_ = false;
};

constexpr std::string_view kNames[] = {"", "a", "b", "c", "sluice_s1", "sluice_s2", "sluice_s"};
constexpr std::string_view kQueries[] = {"SELECT 1", "SELECT 2", "SELECT 3", "!fail", "SELECT $1"};

struct Client {
  pg::ClientStatements statements{pg::ClientStatementLimits{4, 256}};
  FakeBackend direct;    // its own PostgreSQL
  std::string expected;  // reply types from it
  std::string seen;      // reply types through Sluice
  char last = pg::frontend::Sync;
};

class Program {
 public:
  Program(std::span<const std::uint8_t> input, std::size_t max_statements)
      : input_(input), backend_(max_statements) {}

  void run() {
    while (position_ < input_.size() && !stopped_) step();
    finish_client();
    for (Client& client : clients_) {
      if (client.seen != client.expected) {
        std::fprintf(stderr, "through Sluice: %s\ndirect:         %s\n", printable(client.seen).c_str(),
                     printable(client.expected).c_str());
      }
      SLUICE_FUZZ_CHECK(client.seen == client.expected);
    }
  }

 private:
  std::uint8_t next() { return position_ < input_.size() ? input_[position_++] : 0; }
  static std::string printable(const std::string& types) {
    std::string out;
    for (const char type : types) out += type == 0 ? '0' : type;
    return out;
  }
  Client& client() { return clients_[current_]; }

  void step() {
    switch (next() % 12) {
      case 0: {
        const auto name = kNames[next() % std::size(kNames)];
        const auto query = kQueries[next() % std::size(kQueries)];
        const std::string types = next() % 2 ? std::string("\0\0\0\x17", 4) : std::string();
        std::string message;
        pg::write_parse(message, name, query, pg::bytes_of(types));
        return send(message);
      }
      case 1: return send_bind(kNames[next() % std::size(kNames)]);
      case 2: return send_target(pg::frontend::Describe, pg::kTargetStatement, kNames[next() % std::size(kNames)]);
      case 3: return send_target(pg::frontend::Describe, pg::kTargetPortal, "");
      case 4: return send_target(pg::frontend::Close, pg::kTargetStatement, kNames[next() % std::size(kNames)]);
      case 5: return send_target(pg::frontend::Close, pg::kTargetPortal, "");
      case 6: return send_bare(pg::frontend::Execute, std::string(1, '\0') + std::string(4, '\0'));
      case 7: return send_bare(pg::frontend::Sync, "");
      case 8: return send_bare(pg::frontend::Flush, "");
      case 9: return deliver(pending_.size());
      case 10: return deliver(1);
      default: return switch_client();
    }
  }

  void send_bind(std::string_view name) {
    std::string message;
    const std::string rest(6, '\0');
    pg::write_bind(message, pg::BindMessage{"", name, pg::bytes_of(rest)}, name);
    send(message);
  }
  void send_target(char type, char target, std::string_view name) {
    std::string message;
    if (type == pg::frontend::Describe) pg::write_describe(message, target, name);
    if (type == pg::frontend::Close) pg::write_close(message, target, name);
    send(message);
  }
  void send_bare(char type, const std::string& body) {
    std::string message(1, type);
    pg::append_be32(message, static_cast<std::uint32_t>(body.size() + 4));
    send(message + body);
  }

  // The statement name a Parse, Bind, Describe or Close is about ("" for others and portals).
  static std::string_view statement_name(char type, std::span<const std::uint8_t> body) {
    switch (type) {
      case pg::frontend::Parse: return pg::read_parse(body)->statement;
      case pg::frontend::Bind: return pg::read_bind(body)->statement;
      case pg::frontend::Describe:
      case pg::frontend::Close: {
        const auto message = type == pg::frontend::Describe ? pg::read_describe(body) : pg::read_close(body);
        return message->target == pg::kTargetStatement ? message->name : std::string_view();
      }
      default: return {};
    }
  }

  // One client message: through the tracker to the shared backend, and as it is to the client's own.
  void send(const std::string& message) {
    const char type = message[0];
    const auto body = pg::bytes_of(message).subspan(pg::kHeaderLength);
    // As the session will: a name whose meaning waits on an earlier Sync group waits with it.
    if (!backend_.settled(client().statements, statement_name(type, body))) deliver(pending_.size());
    pg::StatementOutbox out;
    Client& me = client();
    switch (type) {
      case pg::frontend::Parse: {
        const auto outcome = backend_.parse(me.statements, *pg::read_parse(body), out);
        if (outcome == pg::ParseOutcome::over_limit || outcome == pg::ParseOutcome::unwritable) {
          stopped_ = true;  // the session ends the client here: neither side sees the message
          return;
        }
        break;
      }
      case pg::frontend::Bind: SLUICE_FUZZ_CHECK(backend_.bind(me.statements, *pg::read_bind(body), out)); break;
      case pg::frontend::Describe: SLUICE_FUZZ_CHECK(backend_.describe(me.statements, *pg::read_describe(body), out)); break;
      case pg::frontend::Close: SLUICE_FUZZ_CHECK(backend_.close(me.statements, *pg::read_close(body), out)); break;
      default:
        backend_.forwarded(type);
        out.to_backend = message;
    }
    me.direct.receive(type, body, me.expected);
    me.last = type;
    to_shared_backend(out.to_backend);
    record_seen(out.to_client);
  }

  void to_shared_backend(const std::string& bytes) {
    pg::MessageScanner scanner(std::uint64_t{1} << 30);
    std::size_t start = 0;
    const auto result = scanner.scan(pg::bytes_of(bytes), [&](const pg::MessageView& view) {
      shared_.receive(view.type, pg::bytes_of(bytes).subspan(start + pg::kHeaderLength, view.length - 4), pending_);
      start = view.end;
    });
    SLUICE_FUZZ_CHECK(result.error == pg::ScanError::none && scanner.at_boundary());
  }

  void record_seen(const std::string& bytes) {
    pg::MessageScanner scanner(std::uint64_t{1} << 30);
    scanner.scan(pg::bytes_of(bytes), [&](const pg::MessageView& view) { client().seen.push_back(view.type); });
  }

  void deliver(std::size_t count) {
    for (std::size_t i = 0; i < count && !pending_.empty(); ++i) {
      const char type = pending_.front();
      pending_.erase(0, 1);
      std::string due;
      if (backend_.on_server_message(type, &client().statements, due)) client().seen.push_back(type);
      record_seen(due);
    }
  }

  // The client's transaction ends (a Sync if it had not sent one) and every reply arrives.
  void finish_client() {
    if (client().last != pg::frontend::Sync) send_bare(pg::frontend::Sync, "");
    deliver(pending_.size());
    SLUICE_FUZZ_CHECK(backend_.requests_in_flight() == 0);
    SLUICE_FUZZ_CHECK(!backend_.desynchronized());
    check_prepared(client().statements);
  }

  // What the tracker believes prepared is prepared there, under its name, with its text.
  void check_prepared(const pg::ClientStatements& statements) {
    statements.for_each([&](const pg::ClientStatement& statement) {
      if (!backend_.prepared(*statement.text)) return;
      const std::string* query = shared_.query_of(*backend_.server_name(*statement.text));
      SLUICE_FUZZ_CHECK(query != nullptr && *query == statement.text->query);
    });
  }

  // The backend goes to the other client. Neither side keeps the unnamed statement: in
  // transaction mode it does not follow a client to its next backend (docs/limits.md).
  void switch_client() {
    finish_client();
    shared_.forget_unnamed();
    client().direct.forget_unnamed();
    current_ = 1 - current_;
  }

  std::span<const std::uint8_t> input_;
  std::size_t position_ = 0;
  pg::BackendStatements backend_;
  FakeBackend shared_;   // the backend behind Sluice
  std::string pending_;  // its replies not yet delivered
  Client clients_[2];
  std::size_t current_ = 0;
  bool stopped_ = false;
};

}  // namespace

int sluice_fuzz_pg_statement_messages(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  check_readers(input);
  if (size > 0) Program(input.subspan(1), 1 + data[0] % 4).run();
  return 0;
}
