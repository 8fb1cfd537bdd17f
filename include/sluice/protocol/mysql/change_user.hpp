#pragma once
// Protocol::COM_CHANGE_USER, read by Sluice as the server: the client logs in again as another
// user (or the same one, to reset its session) on the connection it has.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "sluice/core/failure.hpp"

namespace sluice::mysql {

struct ChangeUser {
  std::string user;
  std::string auth_response;               // answers the scramble of the connection's handshake
  std::string database;                    // empty: none named
  std::optional<std::uint16_t> character_set;  // absent in pre-4.1 clients' packets
  std::optional<std::string> auth_plugin_name;  // CLIENT_PLUGIN_AUTH
  bool operator==(const ChangeUser&) const = default;
};

// The payload after the command byte, under the connection's negotiated `capabilities`
// (CLIENT_SECURE_CONNECTION: a length-prefixed auth response; CLIENT_PLUGIN_AUTH: a plugin name;
// CLIENT_CONNECT_ATTRS: attributes, validated and dropped). Every length is checked.
Expected<ChangeUser> read_change_user(std::span<const std::uint8_t> arguments, std::uint64_t capabilities);

}  // namespace sluice::mysql
