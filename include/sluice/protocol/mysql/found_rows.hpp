// CLIENT_FOUND_ROWS across pooled backends. A client that sets it (Connector/J by default,
// Django, SQLAlchemy, node mysql2) expects an UPDATE's affected rows to count the rows it
// matched, not those it changed: Django's save() of an unchanged row reads 0 as "no such row"
// and INSERTs it again. Backends log in without the flag (one pool serves both kinds of
// client), so an UPDATE's OK packet counts changed rows; its info text still says how many
// matched, and for these clients that count is put in its place.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace sluice::mysql {

// The OK packet `payload` (sent without CLIENT_SESSION_TRACK) rewritten for a client with
// CLIENT_FOUND_ROWS: when its info is an UPDATE's ("Rows matched: M  Changed: C  Warnings: W",
// MariaDB's and MySQL's English text) and M differs from its affected rows, the whole packet
// (header with `sequence_id`) with affected rows M; otherwise nullopt (leave it as it is).
std::optional<std::string> with_found_rows(std::span<const std::uint8_t> payload, std::uint8_t sequence_id);

}  // namespace sluice::mysql
