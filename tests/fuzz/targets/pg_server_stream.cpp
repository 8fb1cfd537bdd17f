// Backend → Sluice bytes: the relay's scan (BasicMessageScanner<256>, reading
// ReadyForQuery and ParameterStatus as PgFrontend::on_server_message does), then every
// backend reader applied to whole bodies, each result written back and compared.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "stream_check.hpp"

namespace {

using namespace sluice;
using fuzz::SeenMessage;

constexpr std::size_t kServerCaptureLimit = 256;  // PgFrontend::ServerScanner
constexpr std::uint64_t kDefaultMaxPacketSize = std::uint64_t{1} << 30;
constexpr std::uint64_t kSmallCap = 64;

std::string wire_message(const SeenMessage& message) {
  std::string out(1, message.type);
  pg::append_be32(out, message.length);
  return out + message.body;
}

// What the relay reads from captured bodies.
void on_server_message(const SeenMessage& message) {
  const auto body = pg::bytes_of(message.body);
  if (message.type == pg::backend::ReadyForQuery) {
    if (auto status = pg::read_ready_for_query(body)) SLUICE_FUZZ_CHECK(message.length == 5);
  } else if (message.type == pg::backend::ParameterStatus && !message.body_truncated) {
    (void)pg::read_parameter_status(body);
  }
}

void read_sasl_mechanism_list(const SeenMessage& message, std::span<const std::uint8_t> data) {
  const auto mechanisms = pg::read_sasl_mechanisms(data);
  SLUICE_FUZZ_CHECK(mechanisms.size() <= pg::kMaxSaslMechanisms);
  if (mechanisms.empty()) return;
  std::vector<std::string_view> names(mechanisms.begin(), mechanisms.end());
  std::string rewritten;
  pg::write_authentication_sasl(rewritten, names);
  SLUICE_FUZZ_CHECK(rewritten == wire_message(message));
}

void read_authentication(const SeenMessage& message) {
  const auto request = pg::read_authentication(pg::bytes_of(message.body));
  if (!request) return;
  const std::string_view data = fuzz::as_text(request->data);
  std::string rewritten;
  switch (request->code) {
    case pg::auth_code::Ok: pg::write_authentication_ok(rewritten); break;
    case pg::auth_code::CleartextPassword: pg::write_authentication_cleartext_password(rewritten); break;
    case pg::auth_code::MD5Password: {
      SLUICE_FUZZ_CHECK(request->data.size() == 4);
      pg::write_authentication_md5_password(rewritten, std::span<const std::uint8_t, 4>(request->data.data(), 4));
      break;
    }
    case pg::auth_code::SASL: return read_sasl_mechanism_list(message, request->data);
    case pg::auth_code::SASLContinue: pg::write_authentication_sasl_continue(rewritten, data); break;
    case pg::auth_code::SASLFinal: pg::write_authentication_sasl_final(rewritten, data); break;
    default: return;  // refused by the connector
  }
  SLUICE_FUZZ_CHECK(rewritten == wire_message(message));
}

// ErrorResponse/NoticeResponse drop unknown fields, so compare what is read, not bytes.
void read_error_fields(const SeenMessage& message) {
  const auto fields = pg::read_error_fields(pg::bytes_of(message.body));
  if (!fields) return;
  std::string rewritten;
  pg::write_error_response(rewritten, fields->severity, fields->sqlstate, fields->message, fields->detail);
  const auto reread = pg::read_error_fields(pg::bytes_of(rewritten).subspan(pg::kHeaderLength));
  SLUICE_FUZZ_CHECK(reread && reread->severity == fields->severity && reread->sqlstate == fields->sqlstate &&
                    reread->message == fields->message && reread->detail == fields->detail);
}

void read_whole_body(const SeenMessage& message) {
  const auto body = pg::bytes_of(message.body);
  std::string rewritten;
  switch (message.type) {
    case pg::backend::Authentication: return read_authentication(message);
    case pg::backend::ErrorResponse:
    case pg::backend::NoticeResponse: return read_error_fields(message);
    case pg::backend::ParameterStatus:
      if (auto parameter = pg::read_parameter_status(body)) {
        pg::write_parameter_status(rewritten, parameter->name, parameter->value);
      }
      break;
    case pg::backend::BackendKeyData:
      if (auto key = pg::read_backend_key_data(body)) {
        pg::write_backend_key_data(rewritten, key->process_id, key->secret_key);
      }
      break;
    case pg::backend::ReadyForQuery:
      if (auto status = pg::read_ready_for_query(body)) pg::write_ready_for_query(rewritten, *status);
      break;
    default: return;
  }
  if (!rewritten.empty()) SLUICE_FUZZ_CHECK(rewritten == wire_message(message));
}

}  // namespace

int sluice_fuzz_pg_server_stream(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> stream(data, size);
  const auto relayed = fuzz::check_stream<kServerCaptureLimit>(stream, kDefaultMaxPacketSize);
  fuzz::check_smaller_cap<kServerCaptureLimit>(stream, relayed, kSmallCap);
  for (const SeenMessage& message : relayed.messages) on_server_message(message);
  // Login-time reads take whole bodies (up to 64 KiB); a 1 KiB capture covers fuzz inputs.
  const auto captured = fuzz::check_stream<pg::kCaptureLimit>(stream, kDefaultMaxPacketSize);
  for (const SeenMessage& message : captured.messages) {
    if (!message.body_truncated) read_whole_body(message);
  }
  return 0;
}
