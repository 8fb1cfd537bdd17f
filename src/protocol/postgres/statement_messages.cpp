#include "sluice/protocol/postgres/statement_messages.hpp"

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/wire_reader.hpp"

namespace sluice::pg {

namespace {

constexpr std::int32_t kNullValueLength = -1;

bool is_target(std::uint8_t byte) { return byte == kTargetStatement || byte == kTargetPortal; }

bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

// Int16 count, then that many Int16 format codes (0 text, 1 binary: the server checks values).
bool skip_format_codes(WireReader& reader) {
  const auto count = reader.read_u16();
  return count && reader.read_bytes(std::size_t{*count} * 2).has_value();
}

// Int16 count, then for each parameter an Int32 length (-1 for NULL) and that many bytes.
bool skip_parameter_values(WireReader& reader) {
  const auto count = reader.read_u16();
  if (!count) return false;
  for (std::uint16_t i = 0; i < *count; ++i) {
    const auto length = reader.read_i32();
    if (!length || *length < kNullValueLength) return false;
    if (*length > 0 && !reader.read_bytes(static_cast<std::size_t>(*length))) return false;
  }
  return true;
}

std::optional<TargetMessage> read_target_message(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  const auto target = reader.read_u8();
  if (!target || !is_target(*target)) return std::nullopt;
  const auto name = reader.read_cstring();
  if (!name || !reader.at_end()) return std::nullopt;
  return TargetMessage{static_cast<char>(*target), *name};
}

// The whole message fits the protocol's int32 length (which counts itself, not the type byte).
bool fits_length(std::size_t body_length) { return body_length <= kMaxWireLength - kMinMessageLength; }

std::size_t begin_message(std::string& out, char type) {
  const std::size_t start = out.size();
  out.push_back(type);
  out.append(4, '\0');
  return start;
}

void end_message(std::string& out, std::size_t start) {
  store_be32(out, start + 1, static_cast<std::uint32_t>(out.size() - start - 1));
}

void append_cstring(std::string& out, std::string_view text) {
  out.append(text);
  out.push_back('\0');
}

bool write_target_message(std::string& out, char type, char target, std::string_view name) {
  if (!is_target(static_cast<std::uint8_t>(target)) || has_nul(name) || !fits_length(name.size() + 2)) return false;
  const std::size_t start = begin_message(out, type);
  out.push_back(target);
  append_cstring(out, name);
  end_message(out, start);
  return true;
}

}  // namespace

std::uint32_t ParseMessage::parameter_type(std::size_t index) const {
  return load_be32(parameter_types.data() + index * 4);
}

std::optional<ParseMessage> read_parse(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  const auto statement = reader.read_cstring();
  const auto query = statement ? reader.read_cstring() : std::nullopt;
  const auto count = query ? reader.read_u16() : std::nullopt;
  if (!count) return std::nullopt;
  const auto types = reader.read_bytes(std::size_t{*count} * 4);
  if (!types || !reader.at_end()) return std::nullopt;
  return ParseMessage{*statement, *query, *types};
}

std::optional<BindMessage> read_bind(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  const auto portal = reader.read_cstring();
  const auto statement = portal ? reader.read_cstring() : std::nullopt;
  if (!statement) return std::nullopt;
  const std::size_t rest_offset = reader.offset();
  if (!skip_format_codes(reader) || !skip_parameter_values(reader) || !skip_format_codes(reader) ||
      !reader.at_end()) {
    return std::nullopt;
  }
  return BindMessage{*portal, *statement, body.subspan(rest_offset)};
}

std::optional<BindHead> read_bind_head(std::span<const std::uint8_t> body_prefix) {
  WireReader reader(body_prefix);
  const auto portal = reader.read_cstring();
  const auto statement = portal ? reader.read_cstring() : std::nullopt;
  if (!statement) return std::nullopt;
  return BindHead{*portal, *statement, reader.offset()};
}

std::optional<TargetMessage> read_describe(std::span<const std::uint8_t> body) { return read_target_message(body); }

std::optional<TargetMessage> read_close(std::span<const std::uint8_t> body) { return read_target_message(body); }

bool write_parse(std::string& out, std::string_view statement, std::string_view query,
                 std::span<const std::uint8_t> parameter_types) {
  const std::size_t count = parameter_types.size() / 4;
  if (has_nul(statement) || has_nul(query) || parameter_types.size() % 4 != 0 || count > kMaxParameterTypes ||
      !fits_length(statement.size() + query.size() + 4 + parameter_types.size())) {
    return false;
  }
  const std::size_t start = begin_message(out, frontend::Parse);
  append_cstring(out, statement);
  append_cstring(out, query);
  append_be16(out, static_cast<std::uint16_t>(count));
  out.append(reinterpret_cast<const char*>(parameter_types.data()), parameter_types.size());
  end_message(out, start);
  return true;
}

bool write_bind(std::string& out, const BindMessage& bind, std::string_view statement) {
  if (!write_bind_head(out, bind.portal, statement, bind.rest.size())) return false;
  out.append(reinterpret_cast<const char*>(bind.rest.data()), bind.rest.size());
  return true;
}

bool write_bind_head(std::string& out, std::string_view portal, std::string_view statement, std::size_t rest_length) {
  if (has_nul(portal) || has_nul(statement)) return false;
  const std::size_t names = portal.size() + statement.size() + 2;
  if (rest_length > kMaxWireLength || !fits_length(names + rest_length)) return false;
  out.push_back(frontend::Bind);
  append_be32(out, static_cast<std::uint32_t>(kMinMessageLength + names + rest_length));
  append_cstring(out, portal);
  append_cstring(out, statement);
  return true;
}

bool write_describe(std::string& out, char target, std::string_view name) {
  return write_target_message(out, frontend::Describe, target, name);
}

bool write_close(std::string& out, char target, std::string_view name) {
  return write_target_message(out, frontend::Close, target, name);
}

void write_parse_complete(std::string& out) { end_message(out, begin_message(out, backend::ParseComplete)); }

void write_close_complete(std::string& out) { end_message(out, begin_message(out, backend::CloseComplete)); }

}  // namespace sluice::pg
