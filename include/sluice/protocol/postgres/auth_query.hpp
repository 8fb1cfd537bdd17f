// The auth_query round trip, sans-I/O: the messages that run the query with the user name bound
// as parameter $1 (extended protocol, so nothing the client typed is ever pasted into SQL), and
// a reader for the DataRows of its reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::pg {

// auth_query returns (user name, password/verifier); a row wider than this is refused unread.
inline constexpr std::size_t kMaxAuthQueryColumns = 16;

// Parse (unnamed statement, $1 typed text) + Bind ($1 = user, text) + Execute + Sync. False and
// nothing appended if the query or user holds a NUL or is too long for one message.
bool write_auth_query(std::string& out, std::string_view query, std::string_view user);

// A DataRow body: each column's bytes, nullopt for SQL NULL. nullopt for a malformed body
// (lengths past its end, trailing bytes) or more than kMaxAuthQueryColumns columns.
using DataRowValues = std::vector<std::optional<std::string_view>>;
std::optional<DataRowValues> read_auth_query_row(std::span<const std::uint8_t> body);

}  // namespace sluice::pg
