// Writers: each appends one complete message to `out` (a std::string used as a
// byte buffer), so several can be batched into one socket write.
//
// String fields that the protocol sends as C strings are cut at their first
// NUL, so caller text can never corrupt a message's field layout. Inputs come
// from Sluice itself and are small; the limits below are preconditions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace sluice::pg {

// PostgreSQL's MaxTupleAttributeNumber: RowDescription/DataRow column cap.
inline constexpr std::size_t kMaxColumns = 1664;

// --- to clients (Sluice acting as server) ---
void write_authentication_ok(std::string& out);
void write_authentication_cleartext_password(std::string& out);
void write_authentication_md5_password(std::string& out, std::span<const std::uint8_t, 4> salt);
void write_authentication_sasl(std::string& out, std::span<const std::string_view> mechanisms);
void write_authentication_sasl_continue(std::string& out, std::string_view data);
void write_authentication_sasl_final(std::string& out, std::string_view data);
void write_parameter_status(std::string& out, std::string_view name, std::string_view value);
void write_backend_key_data(std::string& out, std::uint32_t process_id, std::uint32_t secret_key);
// status: transaction_status::Idle, InTransaction or Failed.
void write_ready_for_query(std::string& out, char status);
// severity: "ERROR" or "FATAL" (sent as both S and V fields); detail omitted when empty.
void write_error_response(std::string& out, std::string_view severity, std::string_view sqlstate,
                          std::string_view message, std::string_view detail = {});
// Severity NOTICE.
void write_notice_response(std::string& out, std::string_view sqlstate, std::string_view message);
// A result column as RowDescription declares it; values are always sent in text format.
struct ColumnDescription {
  std::string_view name;
  std::uint32_t type_oid = 25;  // text
  std::int16_t type_size = -1;  // -1: variable length
};
inline constexpr std::uint32_t kInt8TypeOid = 20;
inline constexpr std::uint32_t kInt4TypeOid = 23;
inline constexpr std::uint32_t kTextTypeOid = 25;
inline constexpr std::uint32_t kNumericTypeOid = 1700;
// At most kMaxColumns.
void write_row_description(std::string& out, std::span<const ColumnDescription> columns);
// nullopt is SQL NULL; at most kMaxColumns.
void write_data_row(std::string& out, std::span<const std::optional<std::string_view>> values);
void write_command_complete(std::string& out, std::string_view tag);
void write_empty_query_response(std::string& out);
// The single byte 'N': answers SSLRequest and GSSENCRequest alike.
void write_ssl_refusal(std::string& out);
// 'S': the TLS handshake follows (SSLRequest only; GSSENCRequest is always refused).
void write_ssl_acceptance(std::string& out);
// Answers a StartupMessage asking for protocol 3.x (x > newest_minor) or for
// "_pq_." options Sluice does not know.
void write_negotiate_protocol_version(std::string& out, std::uint32_t newest_minor,
                                      std::span<const std::string_view> unrecognized_options);

// --- to servers (Sluice acting as client) ---
// Protocol 3.0; entries with an empty name are skipped (an empty name ends the list on the wire).
void write_startup_message(std::string& out,
                           std::span<const std::pair<std::string, std::string>> parameters);
void write_ssl_request(std::string& out);
void write_password_message(std::string& out, std::string_view password);
void write_sasl_initial_response(std::string& out, std::string_view mechanism, std::string_view data);
void write_sasl_response(std::string& out, std::string_view data);
void write_query(std::string& out, std::string_view sql);
void write_sync(std::string& out);
void write_terminate(std::string& out);
void write_cancel_request(std::string& out, std::uint32_t process_id, std::uint32_t secret_key);

}  // namespace sluice::pg
