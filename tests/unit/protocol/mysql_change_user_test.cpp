#include <catch2/catch.hpp>

#include "sluice/protocol/mysql/change_user.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/payload.hpp"

using namespace sluice::mysql;

namespace {

constexpr std::uint64_t kCapabilities = capability::CLIENT_PROTOCOL_41 | capability::CLIENT_SECURE_CONNECTION |
                                        capability::CLIENT_PLUGIN_AUTH | capability::CLIENT_CONNECT_ATTRS;

std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// What Connector/C's mysql_change_user sends after the command byte.
std::string change_user_arguments(const std::string& response, bool attributes = true) {
  std::string out;
  append_null_terminated(out, "alice");
  out.push_back(static_cast<char>(response.size()));
  out += response;
  append_null_terminated(out, "app2");
  out += std::string("\x2d\x00", 2);  // utf8mb4_general_ci
  append_null_terminated(out, "mysql_native_password");
  if (attributes) {
    std::string pairs;
    append_lenenc_string(pairs, "_client_name");
    append_lenenc_string(pairs, "libmariadb");
    append_lenenc_string(out, pairs);
  }
  return out;
}

}  // namespace

TEST_CASE("COM_CHANGE_USER as Connector/C sends it", "[mysql][change_user]") {
  const std::string response(20, '\x11');
  const std::string arguments = change_user_arguments(response);
  auto change = read_change_user(bytes_of(arguments), kCapabilities);
  REQUIRE(change);
  CHECK(change->user == "alice");
  CHECK(change->auth_response == response);
  CHECK(change->database == "app2");
  CHECK(change->character_set == 45);
  CHECK(change->auth_plugin_name == "mysql_native_password");
}

TEST_CASE("COM_CHANGE_USER without the optional tail", "[mysql][change_user]") {
  std::string arguments;
  append_null_terminated(arguments, "bob");
  arguments.push_back('\0');  // empty auth response
  append_null_terminated(arguments, "");
  auto change = read_change_user(bytes_of(arguments), kCapabilities);
  REQUIRE(change);
  CHECK(change->user == "bob");
  CHECK(change->auth_response.empty());
  CHECK(change->database.empty());
  CHECK_FALSE(change->character_set);
  CHECK_FALSE(change->auth_plugin_name);
}

TEST_CASE("COM_CHANGE_USER cut anywhere or with bad lengths is refused", "[mysql][change_user]") {
  const std::string arguments = change_user_arguments(std::string(20, 'x'));
  // Complete packets end after the database, the character set or the plugin name (each tail
  // is optional); a cut anywhere else is refused.
  int complete = 0;
  for (std::size_t cut = 0; cut < arguments.size(); ++cut) {
    auto change = read_change_user(bytes_of(arguments.substr(0, cut)), kCapabilities);
    if (!change) continue;
    ++complete;
    CHECK(change->user == "alice");
    CHECK(change->database == "app2");
  }
  CHECK(complete == 3);
  std::string overlong = arguments;
  overlong[6] = static_cast<char>(200);  // the auth response's length runs past the end
  CHECK_FALSE(read_change_user(bytes_of(overlong), kCapabilities));
  CHECK_FALSE(read_change_user(bytes_of(arguments + "x"), kCapabilities));
}
