// A client's session across backends (issue 12): ClientTextReader fed raw client bytes and
// SessionSettings fed server replies in any order, as a hostile client and a confused server
// could make them.
//
// Input: a sequence of operations, each one byte and its operands:
//   0-3  client bytes: the next byte says how many (any bytes: messages, halves, garbage)
//   4    CommandComplete, tag chosen by the next byte
//   5    ErrorResponse
//   6    ReadyForQuery, status chosen by the next byte
//   7    ParameterStatus client_encoding / standard_conforming_strings, chosen by the next byte
//   8    bring the other backend to the client's settings, then switch to it
//   9    a startup setting: name and value from the next bytes
//
// Invariants:
//   - nothing crashes; the client never holds more settings than the cap (plus its startup ones);
//   - every setting the client holds can be written again (setting_statement);
//   - the sync SQL never carries what Sluice cannot read back: no unterminated text, no
//     unknown state, and a backend just synced needs no further SQL.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/postgres/client_text_reader.hpp"
#include "sluice/protocol/postgres/session_settings.hpp"

namespace {

using namespace sluice;

constexpr std::array<std::string_view, 6> kTags = {"SET", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SELECT 1"};
constexpr std::array<std::string_view, 5> kEncodings = {"UTF8", "SJIS", "BIG5", "GB18030", "no such encoding"};

void check_sync(pg::SessionSettings& settings, pg::BackendSettings& backend) {
  const auto queries = settings.sync_queries({{"client_encoding", "UTF8"}}, backend);
  if (!queries) return;
  std::string encoding = "UTF8";
  for (const auto& sql : *queries) {
    const pg::LexOptions options{pg::client_encoding_from_name(encoding), true};
    for (const auto& statement : pg::scan_statements(sql, options)) {
      SLUICE_FUZZ_CHECK(!statement.unterminated);
      for (const auto& change : statement.effects.state) SLUICE_FUZZ_CHECK(change.state != pg::SessionState::unknown);
      for (const auto& setting : statement.effects.settings) {
        if (setting.name == "client_encoding" && setting.value.size() > 3) {
          encoding = setting.value.substr(2, setting.value.size() - 3);  // E'...'
        }
      }
    }
  }
  settings.synced(backend);
  const auto again = settings.sync_queries(settings.reported(), backend);
  SLUICE_FUZZ_CHECK(again && again->empty());
}

}  // namespace

int sluice_fuzz_pg_session_settings(const std::uint8_t* data, std::size_t size) {
  pg::ClientTextReader reader(1 << 16);
  pg::SessionSettings settings;
  settings.set_reported("client_encoding", "UTF8");
  std::array<pg::BackendSettings, 2> backends;
  std::size_t current = 0;
  settings.attach(&backends[current]);
  std::size_t startup = 0;
  std::size_t i = 0;
  auto next = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  while (i < size) {
    const std::uint8_t op = next() % 10;
    if (op <= 3) {
      const std::size_t length = std::min<std::size_t>(next(), size - i);
      for (const auto& event : reader.feed(std::span(data + i, length), settings.lex_options(), settings.client_encoding())) {
        settings.on_client_event(event);
      }
      i += length;
    } else if (op == 4) {
      settings.on_command_complete(kTags[next() % kTags.size()]);
    } else if (op == 5) {
      settings.on_error_response();
    } else if (op == 6) {
      settings.on_ready_for_query("ITE"[next() % 3]);
    } else if (op == 7) {
      const std::uint8_t choice = next();
      if (choice & 0x80) {
        settings.set_reported("standard_conforming_strings", choice & 1 ? "off" : "on");
      } else {
        settings.set_reported("client_encoding", kEncodings[choice % kEncodings.size()]);
      }
    } else if (op == 8) {
      current = 1 - current;
      check_sync(settings, backends[current]);
      settings.attach(&backends[current]);
    } else {
      const std::size_t length = std::min<std::size_t>(next() % 16, size - i);
      const auto text = fuzz::as_text(std::span(data + i, length));
      i += length;
      const auto [name, value] = fuzz::split_at_nul(text);
      if (!name.empty() && settings.set_startup(name, value)) ++startup;
    }
    SLUICE_FUZZ_CHECK(settings.settings().size() <= pg::kMaxClientSettings + startup);
    for (const auto& setting : settings.settings()) {
      SLUICE_FUZZ_CHECK(pg::setting_statement(setting.change, pg::client_encoding_from_name(setting.client_encoding)));
    }
  }
  return 0;
}
