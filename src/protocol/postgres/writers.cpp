#include "sluice/protocol/postgres/writers.hpp"

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"

namespace sluice::pg {

namespace {

constexpr std::uint32_t kNullLength = 0xffffffff;  // int32 -1

// Starts a typed message; returns where it starts, for end_message.
std::size_t begin_message(std::string& out, char type) {
  const std::size_t start = out.size();
  out.push_back(type);
  out.append(4, '\0');
  return start;
}

// Patches the length of the message begun at `start` (it counts itself, not the type).
void end_message(std::string& out, std::size_t start) {
  store_be32(out, start + 1, static_cast<std::uint32_t>(out.size() - start - 1));
}

// Starts an untyped startup-phase packet (its length counts itself).
std::size_t begin_untyped(std::string& out) {
  const std::size_t start = out.size();
  out.append(4, '\0');
  return start;
}

void end_untyped(std::string& out, std::size_t start) {
  store_be32(out, start, static_cast<std::uint32_t>(out.size() - start));
}

// A C string field: cut at the first NUL, then NUL-terminated.
void append_cstring(std::string& out, std::string_view text) {
  out.append(text.substr(0, text.find('\0')));
  out.push_back('\0');
}

void write_header_only(std::string& out, char type) {
  end_message(out, begin_message(out, type));
}

void write_authentication(std::string& out, std::uint32_t code, std::string_view data) {
  const std::size_t start = begin_message(out, backend::Authentication);
  append_be32(out, code);
  out.append(data);
  end_message(out, start);
}

void write_error_or_notice(std::string& out, char type, std::string_view severity,
                           std::string_view sqlstate, std::string_view message,
                           std::string_view detail) {
  const std::size_t start = begin_message(out, type);
  const std::pair<char, std::string_view> fields[] = {
      {error_field::Severity, severity}, {error_field::SeverityNonLocalized, severity},
      {error_field::Code, sqlstate},     {error_field::Message, message},
      {error_field::Detail, detail},
  };
  for (const auto& [code, text] : fields) {
    if (code == error_field::Detail && text.empty()) continue;
    out.push_back(code);
    append_cstring(out, text);
  }
  out.push_back('\0');
  end_message(out, start);
}

}  // namespace

void write_authentication_ok(std::string& out) { write_authentication(out, auth_code::Ok, {}); }

void write_authentication_cleartext_password(std::string& out) {
  write_authentication(out, auth_code::CleartextPassword, {});
}

void write_authentication_md5_password(std::string& out, std::span<const std::uint8_t, 4> salt) {
  write_authentication(out, auth_code::MD5Password,
                       std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()));
}

void write_authentication_sasl(std::string& out, std::span<const std::string_view> mechanisms) {
  const std::size_t start = begin_message(out, backend::Authentication);
  append_be32(out, auth_code::SASL);
  for (std::string_view mechanism : mechanisms) {
    // An empty name would end the list early on the wire.
    if (mechanism.substr(0, mechanism.find('\0')).empty()) continue;
    append_cstring(out, mechanism);
  }
  out.push_back('\0');
  end_message(out, start);
}

void write_authentication_sasl_continue(std::string& out, std::string_view data) {
  write_authentication(out, auth_code::SASLContinue, data);
}

void write_authentication_sasl_final(std::string& out, std::string_view data) {
  write_authentication(out, auth_code::SASLFinal, data);
}

void write_parameter_status(std::string& out, std::string_view name, std::string_view value) {
  const std::size_t start = begin_message(out, backend::ParameterStatus);
  append_cstring(out, name);
  append_cstring(out, value);
  end_message(out, start);
}

void write_backend_key_data(std::string& out, std::uint32_t process_id, std::uint32_t secret_key) {
  const std::size_t start = begin_message(out, backend::BackendKeyData);
  append_be32(out, process_id);
  append_be32(out, secret_key);
  end_message(out, start);
}

void write_ready_for_query(std::string& out, char status) {
  const std::size_t start = begin_message(out, backend::ReadyForQuery);
  out.push_back(status);
  end_message(out, start);
}

void write_error_response(std::string& out, std::string_view severity, std::string_view sqlstate,
                          std::string_view message, std::string_view detail) {
  write_error_or_notice(out, backend::ErrorResponse, severity, sqlstate, message, detail);
}

void write_notice_response(std::string& out, std::string_view sqlstate, std::string_view message) {
  write_error_or_notice(out, backend::NoticeResponse, "NOTICE", sqlstate, message, {});
}

void write_row_description(std::string& out, std::span<const ColumnDescription> columns) {
  const std::size_t start = begin_message(out, backend::RowDescription);
  append_be16(out, static_cast<std::uint16_t>(columns.size()));
  for (const auto& column : columns) {
    append_cstring(out, column.name);
    append_be32(out, 0);  // table oid: none
    append_be16(out, 0);  // column attribute number: none
    append_be32(out, column.type_oid);
    append_be16(out, static_cast<std::uint16_t>(column.type_size));
    append_be32(out, 0xffffffff);  // type modifier -1
    append_be16(out, 0);           // format: text
  }
  end_message(out, start);
}

void write_data_row(std::string& out, std::span<const std::optional<std::string_view>> values) {
  const std::size_t start = begin_message(out, backend::DataRow);
  append_be16(out, static_cast<std::uint16_t>(values.size()));
  for (const auto& value : values) {
    if (!value) {
      append_be32(out, kNullLength);
      continue;
    }
    append_be32(out, static_cast<std::uint32_t>(value->size()));
    out.append(*value);
  }
  end_message(out, start);
}

void write_command_complete(std::string& out, std::string_view tag) {
  const std::size_t start = begin_message(out, backend::CommandComplete);
  append_cstring(out, tag);
  end_message(out, start);
}

void write_empty_query_response(std::string& out) {
  write_header_only(out, backend::EmptyQueryResponse);
}

void write_ssl_refusal(std::string& out) { out.push_back('N'); }

void write_ssl_acceptance(std::string& out) { out.push_back('S'); }

void write_negotiate_protocol_version(std::string& out, std::uint32_t newest_minor,
                                      std::span<const std::string_view> unrecognized_options) {
  const std::size_t start = begin_message(out, backend::NegotiateProtocolVersion);
  append_be32(out, newest_minor);
  append_be32(out, static_cast<std::uint32_t>(unrecognized_options.size()));
  for (std::string_view option : unrecognized_options) append_cstring(out, option);
  end_message(out, start);
}

void write_startup_message(std::string& out,
                           std::span<const std::pair<std::string, std::string>> parameters) {
  const std::size_t start = begin_untyped(out);
  append_be32(out, kProtocolVersion3);
  for (const auto& [name, value] : parameters) {
    if (std::string_view(name).substr(0, name.find('\0')).empty()) continue;
    append_cstring(out, name);
    append_cstring(out, value);
  }
  out.push_back('\0');
  end_untyped(out, start);
}

void write_ssl_request(std::string& out) {
  const std::size_t start = begin_untyped(out);
  append_be32(out, kSslRequestCode);
  end_untyped(out, start);
}

void write_password_message(std::string& out, std::string_view password) {
  const std::size_t start = begin_message(out, frontend::PasswordMessage);
  append_cstring(out, password);
  end_message(out, start);
}

void write_sasl_initial_response(std::string& out, std::string_view mechanism, std::string_view data) {
  const std::size_t start = begin_message(out, frontend::PasswordMessage);
  append_cstring(out, mechanism);
  append_be32(out, static_cast<std::uint32_t>(data.size()));
  out.append(data);
  end_message(out, start);
}

void write_sasl_response(std::string& out, std::string_view data) {
  const std::size_t start = begin_message(out, frontend::PasswordMessage);
  out.append(data);
  end_message(out, start);
}

void write_query(std::string& out, std::string_view sql) {
  const std::size_t start = begin_message(out, frontend::Query);
  append_cstring(out, sql);
  end_message(out, start);
}

void write_sync(std::string& out) { write_header_only(out, frontend::Sync); }

void write_terminate(std::string& out) { write_header_only(out, frontend::Terminate); }

void write_cancel_request(std::string& out, std::uint32_t process_id, std::uint32_t secret_key) {
  const std::size_t start = begin_untyped(out);
  append_be32(out, kCancelRequestCode);
  append_be32(out, process_id);
  append_be32(out, secret_key);
  end_untyped(out, start);
}

}  // namespace sluice::pg
