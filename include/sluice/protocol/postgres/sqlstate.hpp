// SQLSTATE codes Sluice itself sends in ErrorResponse, or looks for in a server's (PostgreSQL
// Appendix A names).
#pragma once

#include <string_view>

namespace sluice::pg::sqlstate {

inline constexpr std::string_view feature_not_supported = "0A000";
inline constexpr std::string_view connection_exception = "08000";
inline constexpr std::string_view sqlclient_unable_to_establish_sqlconnection = "08001";
inline constexpr std::string_view connection_failure = "08006";
inline constexpr std::string_view protocol_violation = "08P01";
inline constexpr std::string_view invalid_authorization_specification = "28000";
inline constexpr std::string_view invalid_password = "28P01";
inline constexpr std::string_view invalid_catalog_name = "3D000";
inline constexpr std::string_view syntax_error = "42601";
inline constexpr std::string_view undefined_column = "42703";
inline constexpr std::string_view duplicate_prepared_statement = "42P05";
inline constexpr std::string_view insufficient_privilege = "42501";
inline constexpr std::string_view too_many_connections = "53300";
inline constexpr std::string_view configuration_limit_exceeded = "53400";
inline constexpr std::string_view query_canceled = "57014";
inline constexpr std::string_view admin_shutdown = "57P01";
inline constexpr std::string_view cannot_connect_now = "57P03";
inline constexpr std::string_view system_error = "58000";
inline constexpr std::string_view internal_error = "XX000";

}  // namespace sluice::pg::sqlstate
