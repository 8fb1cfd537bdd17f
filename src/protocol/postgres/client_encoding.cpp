#include "sluice/protocol/postgres/client_encoding.hpp"

#include <string>
#include <utility>

namespace sluice::pg {

namespace {

using Name = std::pair<std::string_view, ClientEncoding>;

// PostgreSQL's pg_encname_tbl, cleaned the way clean_encoding_name() does.
constexpr Name kEncodingNames[] = {
    // Client-only: trailing bytes may be ASCII.
    {"sjis", ClientEncoding::sjis}, {"shiftjis", ClientEncoding::sjis}, {"mskanji", ClientEncoding::sjis},
    {"win932", ClientEncoding::sjis}, {"windows932", ClientEncoding::sjis},
    {"shiftjis2004", ClientEncoding::sjis}, {"big5", ClientEncoding::big5},
    {"win950", ClientEncoding::big5}, {"windows950", ClientEncoding::big5},
    {"gbk", ClientEncoding::gbk}, {"win936", ClientEncoding::gbk}, {"windows936", ClientEncoding::gbk},
    {"uhc", ClientEncoding::uhc}, {"win949", ClientEncoding::uhc}, {"windows949", ClientEncoding::uhc},
    {"gb18030", ClientEncoding::gb18030}, {"johab", ClientEncoding::johab},
    // Server-safe.
    {"sqlascii", ClientEncoding::server_safe}, {"utf8", ClientEncoding::server_safe},
    {"unicode", ClientEncoding::server_safe}, {"eucjp", ClientEncoding::server_safe},
    {"euccn", ClientEncoding::server_safe}, {"euckr", ClientEncoding::server_safe},
    {"euctw", ClientEncoding::server_safe}, {"eucjis2004", ClientEncoding::server_safe},
    {"muleinternal", ClientEncoding::server_safe}, {"latin1", ClientEncoding::server_safe},
    {"latin2", ClientEncoding::server_safe}, {"latin3", ClientEncoding::server_safe},
    {"latin4", ClientEncoding::server_safe}, {"latin5", ClientEncoding::server_safe},
    {"latin6", ClientEncoding::server_safe}, {"latin7", ClientEncoding::server_safe},
    {"latin8", ClientEncoding::server_safe}, {"latin9", ClientEncoding::server_safe},
    {"latin10", ClientEncoding::server_safe}, {"iso88591", ClientEncoding::server_safe},
    {"iso88592", ClientEncoding::server_safe}, {"iso88593", ClientEncoding::server_safe},
    {"iso88594", ClientEncoding::server_safe}, {"iso88595", ClientEncoding::server_safe},
    {"iso88596", ClientEncoding::server_safe}, {"iso88597", ClientEncoding::server_safe},
    {"iso88598", ClientEncoding::server_safe}, {"iso88599", ClientEncoding::server_safe},
    {"iso885910", ClientEncoding::server_safe}, {"iso885913", ClientEncoding::server_safe},
    {"iso885914", ClientEncoding::server_safe}, {"iso885915", ClientEncoding::server_safe},
    {"iso885916", ClientEncoding::server_safe}, {"koi8", ClientEncoding::server_safe},
    {"koi8r", ClientEncoding::server_safe}, {"koi8u", ClientEncoding::server_safe},
    {"alt", ClientEncoding::server_safe}, {"win", ClientEncoding::server_safe},
    {"abc", ClientEncoding::server_safe}, {"tcvn", ClientEncoding::server_safe},
    {"tcvn5712", ClientEncoding::server_safe}, {"vscii", ClientEncoding::server_safe},
    {"win866", ClientEncoding::server_safe}, {"win874", ClientEncoding::server_safe},
    {"win1250", ClientEncoding::server_safe}, {"win1251", ClientEncoding::server_safe},
    {"win1252", ClientEncoding::server_safe}, {"win1253", ClientEncoding::server_safe},
    {"win1254", ClientEncoding::server_safe}, {"win1255", ClientEncoding::server_safe},
    {"win1256", ClientEncoding::server_safe}, {"win1257", ClientEncoding::server_safe},
    {"win1258", ClientEncoding::server_safe}, {"windows866", ClientEncoding::server_safe},
    {"windows874", ClientEncoding::server_safe}, {"windows1250", ClientEncoding::server_safe},
    {"windows1251", ClientEncoding::server_safe}, {"windows1252", ClientEncoding::server_safe},
    {"windows1253", ClientEncoding::server_safe}, {"windows1254", ClientEncoding::server_safe},
    {"windows1255", ClientEncoding::server_safe}, {"windows1256", ClientEncoding::server_safe},
    {"windows1257", ClientEncoding::server_safe}, {"windows1258", ClientEncoding::server_safe},
};

// clean_encoding_name(): keep letters and digits, lower-cased.
std::string clean_encoding_name(std::string_view name) {
  std::string clean;
  for (const char c : name) {
    if (c >= 'A' && c <= 'Z') {
      clean.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      clean.push_back(c);
    }
  }
  return clean;
}

bool is_high(std::uint8_t byte) { return byte >= 0x80; }

}  // namespace

ClientEncoding client_encoding_from_name(std::string_view name) {
  const std::string clean = clean_encoding_name(name);
  for (const auto& [known, encoding] : kEncodingNames) {
    if (clean == known) return encoding;
  }
  return ClientEncoding::unknown;
}

std::size_t trailing_bytes(ClientEncoding encoding, std::uint8_t lead) {
  if (!is_high(lead)) return 0;
  switch (encoding) {
    case ClientEncoding::sjis:
      // pg_sjis_mblen: 0xA1-0xDF are one-byte half-width katakana.
      return lead >= 0xa1 && lead <= 0xdf ? 0 : 1;
    case ClientEncoding::big5:
    case ClientEncoding::gbk:
    case ClientEncoding::uhc:
    case ClientEncoding::gb18030:  // at least 2; gb18030_extra_bytes() tells 4
      return 1;
    case ClientEncoding::johab:
      // pg_johab_mblen is pg_euc_mblen: SS3 (0x8F) leads three bytes, other high bytes two.
      return lead == 0x8f ? 2 : 1;
    case ClientEncoding::server_safe:
    case ClientEncoding::unknown:
      return 0;
  }
  return 0;
}

std::size_t character_length(std::string_view text, std::size_t at, ClientEncoding encoding) {
  const auto lead = static_cast<std::uint8_t>(text[at]);
  std::size_t length = 1 + trailing_bytes(encoding, lead);
  if (encoding == ClientEncoding::gb18030 && length > 1 && at + 1 < text.size()) {
    length += gb18030_extra_bytes(static_cast<std::uint8_t>(text[at + 1]));
  }
  return length;
}

}  // namespace sluice::pg
