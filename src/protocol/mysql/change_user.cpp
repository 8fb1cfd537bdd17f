#include "sluice/protocol/mysql/change_user.hpp"

#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/payload.hpp"

namespace sluice::mysql {

namespace {
Failure malformed(std::string_view what) {
  return Failure{"protocol_violation", "08P01", "malformed COM_CHANGE_USER: " + std::string(what)};
}

// CLIENT_CONNECT_ATTRS: a lenenc total length, then that many bytes of lenenc key/value pairs.
bool skip_connect_attributes(PayloadReader& reader) {
  const auto total = reader.read_lenenc_int();
  if (!total || *total > reader.remaining()) return false;
  auto bytes = reader.read_bytes(static_cast<std::size_t>(*total));
  PayloadReader attributes(*bytes);
  while (!attributes.at_end()) {
    if (!attributes.read_lenenc_string() || !attributes.read_lenenc_string()) return false;
  }
  return true;
}
}  // namespace

Expected<ChangeUser> read_change_user(std::span<const std::uint8_t> arguments, std::uint64_t capabilities) {
  PayloadReader reader(arguments);
  ChangeUser change;
  const auto user = reader.read_null_terminated();
  if (!user) return malformed("user");
  change.user = *user;
  if (capabilities & capability::CLIENT_SECURE_CONNECTION) {
    const auto length = reader.read_u8();
    const auto response = length ? reader.read_string(*length) : std::nullopt;
    if (!response) return malformed("auth response");
    change.auth_response = *response;
  } else {
    const auto response = reader.read_null_terminated();
    if (!response) return malformed("auth response");
    change.auth_response = *response;
  }
  const auto database = reader.read_null_terminated();
  if (!database) return malformed("database");
  change.database = *database;
  if (reader.at_end()) return change;
  change.character_set = reader.read_u16();
  if (!change.character_set) return malformed("character set");
  if ((capabilities & capability::CLIENT_PLUGIN_AUTH) && !reader.at_end()) {
    const auto plugin = reader.read_null_terminated();
    if (!plugin) return malformed("auth plugin name");
    change.auth_plugin_name = std::string(*plugin);
  }
  if ((capabilities & capability::CLIENT_CONNECT_ATTRS) && !reader.at_end() && !skip_connect_attributes(reader)) {
    return malformed("connect attributes");
  }
  if (!reader.at_end()) return malformed("trailing bytes");
  return change;
}

}  // namespace sluice::mysql
