// The fuzz targets: one plain function per network parser, named sluice_fuzz_<name>.
//
// Each takes untrusted bytes, drives a parser the way the daemon does, and aborts on a
// violated invariant. libfuzzer_main.cpp wraps one of them per libFuzzer binary
// (fuzz_<name>); replay_test.cpp runs all of them over the committed corpus and
// regressions in the normal build. The list below is the only place a target is named.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#define SLUICE_FUZZ_TARGETS(X) \
  X(pg_startup)                \
  X(pg_client_stream)          \
  X(pg_server_stream)          \
  X(pg_client_login)           \
  X(pg_server_login)           \
  X(scram_server)              \
  X(scram_client)              \
  X(base64)                    \
  X(admin_command)             \
  X(mysql_packet)              \
  X(mysql_handshake_response)  \
  X(mysql_server_handshake)    \
  X(mysql_response_tracker)    \
  X(mysql_use_statement)       \
  X(mysql_kill_statement)      \
  X(mysql_change_user)         \
  X(mysql_statement_packets)   \
  X(mysql_session_statement)   \
  X(pg_sql_lexer)              \
  X(pg_statement_messages)     \
  X(pg_session_settings)       \
  X(hba_cidr)                  \
  X(pg_auth_query_row)

#define SLUICE_FUZZ_DECLARE(name) int sluice_fuzz_##name(const std::uint8_t* data, std::size_t size);
SLUICE_FUZZ_TARGETS(SLUICE_FUZZ_DECLARE)
#undef SLUICE_FUZZ_DECLARE

namespace sluice::fuzz {

using TargetFunction = int (*)(const std::uint8_t* data, std::size_t size);

struct Target {
  std::string_view name;  // also the corpus directory and the binary's suffix
  TargetFunction run;
};

#define SLUICE_FUZZ_ENTRY(name) Target{#name, &sluice_fuzz_##name},
inline constexpr Target kTargets[] = {SLUICE_FUZZ_TARGETS(SLUICE_FUZZ_ENTRY)};
#undef SLUICE_FUZZ_ENTRY

}  // namespace sluice::fuzz
