// What Sluice must know about a client's client_encoding to read its SQL text the way the
// server will: which bytes can be the second byte of a character.
//
// PostgreSQL converts a Query or Parse text from the client's encoding to the server's before
// it lexes it. Every encoding a server may use is "server-safe": each byte of a multi-byte
// character has its high bit set, so a quote, backslash, semicolon or dollar sign is always
// that character, and lexing the raw bytes gives the server's tokens. The client-only
// encodings (SJIS, SHIFT_JIS_2004, BIG5, GBK, UHC, GB18030, JOHAB) have trailing bytes in the
// ASCII range: 0x83 0x5C is one SJIS character, not a byte followed by a backslash. Lexing or
// quoting those texts byte by byte is how CVE-2006-2313/2314 happened; Sluice steps over whole
// characters instead, with the lengths PostgreSQL's own mblen functions give (src/common/wchar.c).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::pg {

enum class ClientEncoding : std::uint8_t {
  server_safe,  // UTF8, SQL_ASCII, LATIN1..10, EUC_*, WIN*, KOI8*, ISO_8859_*, MULE_INTERNAL
  sjis,         // SJIS and SHIFT_JIS_2004 (aliases Shift_JIS, MSKANJI, WIN932)
  big5,         // BIG5 (WIN950)
  gbk,          // GBK (WIN936)
  uhc,          // UHC (WIN949)
  gb18030,      // GB18030: 1, 2 or 4 bytes
  johab,        // JOHAB
  unknown,      // not a PostgreSQL encoding name: nothing non-ASCII can be trusted
};

// PostgreSQL's encoding name lookup: case and every non-alphanumeric character are ignored
// ("Shift_JIS" is "shiftjis"), aliases included. Unknown names give ClientEncoding::unknown.
ClientEncoding client_encoding_from_name(std::string_view name);

// Encodings whose trailing bytes may be ASCII (and so look like quotes or backslashes).
constexpr bool is_client_only(ClientEncoding encoding) {
  return encoding != ClientEncoding::server_safe && encoding != ClientEncoding::unknown;
}

// How many bytes follow `lead` in its character, as far as the lead byte tells: 0 for ASCII
// and for every byte of a server-safe encoding (their trailing bytes are never ASCII, so they
// can be read one by one). GB18030 answers 1 here; gb18030_extra_bytes(second) adds the rest.
std::size_t trailing_bytes(ClientEncoding encoding, std::uint8_t lead);

// GB18030's four-byte characters are told from two-byte ones by their second byte (0x30-0x39).
constexpr std::size_t gb18030_extra_bytes(std::uint8_t second) {
  return second >= 0x30 && second <= 0x39 ? 2 : 0;
}

// Bytes of the character that starts at text[at] (at < text.size()): 1 for ASCII, more for a
// multi-byte character of a client-only encoding. May run past the end of a cut text: callers
// that need the whole character check.
std::size_t character_length(std::string_view text, std::size_t at, ClientEncoding encoding);

}  // namespace sluice::pg
