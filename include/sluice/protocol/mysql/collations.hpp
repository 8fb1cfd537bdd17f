#pragma once
// The collation id a client sends in its HandshakeResponse41 (one byte), as names a
// `SET NAMES` statement takes: a backend serving many clients is put in each one's character
// set. Every id MariaDB 10.11 knows is known; an unknown one gets the listener's default.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::mysql {

struct Collation {
  std::string_view character_set;  // "utf8mb4"
  std::string_view name;           // "utf8mb4_unicode_ci"; empty: the character set's default
};

std::optional<Collation> collation_by_id(std::uint8_t id);

// `SET NAMES 'charset' [COLLATE 'collation']`: what the handshake's id means, as a statement.
std::string set_names_statement(const Collation& collation);

// big5, cp932, gbk, sjis: character sets with two-byte characters whose second byte may be 0x5C,
// the byte of a backslash (every other one MariaDB offers a client keeps 0x5C a backslash).
bool has_two_byte_characters(std::string_view character_set);
// Whether a statement's text names one of them anywhere (a SET NAMES, SET character_set_client).
bool names_two_byte_charset(std::string_view sql);

}  // namespace sluice::mysql
