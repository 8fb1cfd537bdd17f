#include "sluice/protocol/postgres/auth_query.hpp"

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/statement_messages.hpp"
#include "sluice/protocol/postgres/wire_reader.hpp"
#include "sluice/protocol/postgres/writers.hpp"

namespace sluice::pg {
namespace {

constexpr std::uint32_t kNullLength = 0xffffffff;  // int32 -1
constexpr std::size_t kMaxUserLength = 1 << 16;    // far above PostgreSQL's NAMEDATALEN (64)

// Execute (unnamed portal, no row limit).
void write_execute_all(std::string& out) {
  out.push_back(frontend::Execute);
  append_be32(out, 4 + 1 + 4);
  out.push_back('\0');
  append_be32(out, 0);
}

}  // namespace

bool write_auth_query(std::string& out, std::string_view query, std::string_view user) {
  if (user.find('\0') != std::string_view::npos || user.size() > kMaxUserLength) return false;
  std::string parameter_type;
  append_be32(parameter_type, kTextTypeOid);
  std::string messages;
  if (!write_parse(messages, "", query, bytes_of(parameter_type))) return false;
  // Bind's body after the names: one text-format code, one parameter (the user), results in text.
  std::string bind_rest;
  append_be16(bind_rest, 1);
  append_be16(bind_rest, 0);
  append_be16(bind_rest, 1);
  append_be32(bind_rest, static_cast<std::uint32_t>(user.size()));
  bind_rest.append(user);
  append_be16(bind_rest, 0);
  if (!write_bind(messages, BindMessage{"", "", bytes_of(bind_rest)}, "")) return false;
  write_execute_all(messages);
  write_sync(messages);
  out.append(messages);
  return true;
}

std::optional<DataRowValues> read_auth_query_row(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  const auto count = reader.read_u16();
  if (!count || *count > kMaxAuthQueryColumns) return std::nullopt;
  DataRowValues values;
  values.reserve(*count);
  for (std::uint16_t i = 0; i < *count; ++i) {
    const auto length = reader.read_u32();
    if (!length) return std::nullopt;
    if (*length == kNullLength) {
      values.emplace_back(std::nullopt);
      continue;
    }
    const auto bytes = reader.read_bytes(*length);
    if (!bytes) return std::nullopt;
    values.emplace_back(as_string_view(*bytes));
  }
  if (!reader.at_end()) return std::nullopt;
  return values;
}

}  // namespace sluice::pg
