// Quoting for text Sluice puts into SQL it sends to a backend itself (a client's settings
// replayed on another backend): correct whatever the backend's standard_conforming_strings,
// and never a way out of the quotes whatever the bytes.
//
// Literals are always written E'...', doubling both quotes and backslashes: an escape string
// means the same with standard_conforming_strings on or off, so Sluice need not know which.
// Backslash doubling is where encodings bite: in SJIS, BIG5, GBK, GB18030 and JOHAB a character's
// second byte may be 0x5C, and the server converts the text to its own encoding before it
// lexes it, so that byte is part of the character, not a backslash. Doubling it byte-wise adds
// a real backslash after the character, which can escape the closing quote (CVE-2006-2314).
// So quote_literal() walks characters of the encoding the backend reads the text in, and when
// that encoding is not known (ClientEncoding::unknown) it accepts ASCII only: ASCII bytes are
// whole characters in every encoding PostgreSQL supports. Values it cannot quote safely give
// nullopt; the caller treats them as state it cannot replay.
//
// Identifiers are walked the same way: "..." has no escapes, and no valid character has 0x22 as
// a trailing byte, but a name whose last character is cut short would take the closing quote as
// its missing byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sluice/protocol/postgres/client_encoding.hpp"

namespace sluice::pg {

// E'value' with ' and \ doubled, or nullopt if value holds a NUL, a character cut short at its
// end, or (encoding unknown) any byte above 0x7F.
std::optional<std::string> quote_literal(std::string_view value, ClientEncoding encoding);

// "name" with " doubled, or nullopt if name is empty, holds a NUL (PostgreSQL refuses both), or
// cannot be read as characters of `encoding` (as for quote_literal).
std::optional<std::string> quote_identifier(std::string_view name, ClientEncoding encoding);

// `text` with every backslash character doubled (characters of `encoding`, as quote_literal
// reads them), for turning a standard-conforming '...' into an equivalent E'...'. nullopt as
// for quote_literal.
std::optional<std::string> double_backslashes(std::string_view text, ClientEncoding encoding);

}  // namespace sluice::pg
