// COM_CHANGE_USER's arguments as MyFrontend reads them (my_frontend_change_user.cpp): the first
// byte picks the negotiated capabilities (SECURE_CONNECTION, PLUGIN_AUTH, CONNECT_ATTRS), the
// rest is the payload after the command byte. Every field read lies within the input.
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/mysql/change_user.hpp"
#include "sluice/protocol/mysql/constants.hpp"

int sluice_fuzz_mysql_change_user(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  if (size == 0) return 0;
  std::uint64_t capabilities = mysql::capability::CLIENT_PROTOCOL_41;
  if (data[0] & 1) capabilities |= mysql::capability::CLIENT_SECURE_CONNECTION;
  if (data[0] & 2) capabilities |= mysql::capability::CLIENT_PLUGIN_AUTH;
  if (data[0] & 4) capabilities |= mysql::capability::CLIENT_CONNECT_ATTRS;
  const std::span<const std::uint8_t> arguments(data + 1, size - 1);
  auto change = mysql::read_change_user(arguments, capabilities);
  if (!change) return 0;
  const std::size_t fields = change->user.size() + change->auth_response.size() + change->database.size() +
                             (change->auth_plugin_name ? change->auth_plugin_name->size() : 0);
  SLUICE_FUZZ_CHECK(fields <= arguments.size());
  SLUICE_FUZZ_CHECK(!change->auth_plugin_name || (capabilities & mysql::capability::CLIENT_PLUGIN_AUTH));
  return 0;
}
