#include "sluice/protocol/mysql/collations.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace sluice::mysql {

namespace {
struct Entry {
  std::uint8_t id;
  Collation collation;
};

// Every id a handshake can carry (one byte) that MariaDB 10.11 knows, generated from
// `SELECT ID, CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLLATIONS WHERE ID < 256`,
// with MySQL 8's 255 (utf8mb4_0900_ai_ci, which MariaDB lacks) as utf8mb4's default. Sorted by id.
constexpr std::array kCollations{
    Entry{1, {"big5", "big5_chinese_ci"}},
    Entry{2, {"latin2", "latin2_czech_cs"}},
    Entry{3, {"dec8", "dec8_swedish_ci"}},
    Entry{4, {"cp850", "cp850_general_ci"}},
    Entry{5, {"latin1", "latin1_german1_ci"}},
    Entry{6, {"hp8", "hp8_english_ci"}},
    Entry{7, {"koi8r", "koi8r_general_ci"}},
    Entry{8, {"latin1", "latin1_swedish_ci"}},
    Entry{9, {"latin2", "latin2_general_ci"}},
    Entry{10, {"swe7", "swe7_swedish_ci"}},
    Entry{11, {"ascii", "ascii_general_ci"}},
    Entry{12, {"ujis", "ujis_japanese_ci"}},
    Entry{13, {"sjis", "sjis_japanese_ci"}},
    Entry{14, {"cp1251", "cp1251_bulgarian_ci"}},
    Entry{15, {"latin1", "latin1_danish_ci"}},
    Entry{16, {"hebrew", "hebrew_general_ci"}},
    Entry{18, {"tis620", "tis620_thai_ci"}},
    Entry{19, {"euckr", "euckr_korean_ci"}},
    Entry{20, {"latin7", "latin7_estonian_cs"}},
    Entry{21, {"latin2", "latin2_hungarian_ci"}},
    Entry{22, {"koi8u", "koi8u_general_ci"}},
    Entry{23, {"cp1251", "cp1251_ukrainian_ci"}},
    Entry{24, {"gb2312", "gb2312_chinese_ci"}},
    Entry{25, {"greek", "greek_general_ci"}},
    Entry{26, {"cp1250", "cp1250_general_ci"}},
    Entry{27, {"latin2", "latin2_croatian_ci"}},
    Entry{28, {"gbk", "gbk_chinese_ci"}},
    Entry{29, {"cp1257", "cp1257_lithuanian_ci"}},
    Entry{30, {"latin5", "latin5_turkish_ci"}},
    Entry{31, {"latin1", "latin1_german2_ci"}},
    Entry{32, {"armscii8", "armscii8_general_ci"}},
    Entry{33, {"utf8mb3", "utf8mb3_general_ci"}},
    Entry{34, {"cp1250", "cp1250_czech_cs"}},
    Entry{35, {"ucs2", "ucs2_general_ci"}},
    Entry{36, {"cp866", "cp866_general_ci"}},
    Entry{37, {"keybcs2", "keybcs2_general_ci"}},
    Entry{38, {"macce", "macce_general_ci"}},
    Entry{39, {"macroman", "macroman_general_ci"}},
    Entry{40, {"cp852", "cp852_general_ci"}},
    Entry{41, {"latin7", "latin7_general_ci"}},
    Entry{42, {"latin7", "latin7_general_cs"}},
    Entry{43, {"macce", "macce_bin"}},
    Entry{44, {"cp1250", "cp1250_croatian_ci"}},
    Entry{45, {"utf8mb4", "utf8mb4_general_ci"}},
    Entry{46, {"utf8mb4", "utf8mb4_bin"}},
    Entry{47, {"latin1", "latin1_bin"}},
    Entry{48, {"latin1", "latin1_general_ci"}},
    Entry{49, {"latin1", "latin1_general_cs"}},
    Entry{50, {"cp1251", "cp1251_bin"}},
    Entry{51, {"cp1251", "cp1251_general_ci"}},
    Entry{52, {"cp1251", "cp1251_general_cs"}},
    Entry{53, {"macroman", "macroman_bin"}},
    Entry{54, {"utf16", "utf16_general_ci"}},
    Entry{55, {"utf16", "utf16_bin"}},
    Entry{56, {"utf16le", "utf16le_general_ci"}},
    Entry{57, {"cp1256", "cp1256_general_ci"}},
    Entry{58, {"cp1257", "cp1257_bin"}},
    Entry{59, {"cp1257", "cp1257_general_ci"}},
    Entry{60, {"utf32", "utf32_general_ci"}},
    Entry{61, {"utf32", "utf32_bin"}},
    Entry{62, {"utf16le", "utf16le_bin"}},
    Entry{63, {"binary", ""}},
    Entry{64, {"armscii8", "armscii8_bin"}},
    Entry{65, {"ascii", "ascii_bin"}},
    Entry{66, {"cp1250", "cp1250_bin"}},
    Entry{67, {"cp1256", "cp1256_bin"}},
    Entry{68, {"cp866", "cp866_bin"}},
    Entry{69, {"dec8", "dec8_bin"}},
    Entry{70, {"greek", "greek_bin"}},
    Entry{71, {"hebrew", "hebrew_bin"}},
    Entry{72, {"hp8", "hp8_bin"}},
    Entry{73, {"keybcs2", "keybcs2_bin"}},
    Entry{74, {"koi8r", "koi8r_bin"}},
    Entry{75, {"koi8u", "koi8u_bin"}},
    Entry{77, {"latin2", "latin2_bin"}},
    Entry{78, {"latin5", "latin5_bin"}},
    Entry{79, {"latin7", "latin7_bin"}},
    Entry{80, {"cp850", "cp850_bin"}},
    Entry{81, {"cp852", "cp852_bin"}},
    Entry{82, {"swe7", "swe7_bin"}},
    Entry{83, {"utf8mb3", "utf8mb3_bin"}},
    Entry{84, {"big5", "big5_bin"}},
    Entry{85, {"euckr", "euckr_bin"}},
    Entry{86, {"gb2312", "gb2312_bin"}},
    Entry{87, {"gbk", "gbk_bin"}},
    Entry{88, {"sjis", "sjis_bin"}},
    Entry{89, {"tis620", "tis620_bin"}},
    Entry{90, {"ucs2", "ucs2_bin"}},
    Entry{91, {"ujis", "ujis_bin"}},
    Entry{92, {"geostd8", "geostd8_general_ci"}},
    Entry{93, {"geostd8", "geostd8_bin"}},
    Entry{94, {"latin1", "latin1_spanish_ci"}},
    Entry{95, {"cp932", "cp932_japanese_ci"}},
    Entry{96, {"cp932", "cp932_bin"}},
    Entry{97, {"eucjpms", "eucjpms_japanese_ci"}},
    Entry{98, {"eucjpms", "eucjpms_bin"}},
    Entry{99, {"cp1250", "cp1250_polish_ci"}},
    Entry{101, {"utf16", "utf16_unicode_ci"}},
    Entry{102, {"utf16", "utf16_icelandic_ci"}},
    Entry{103, {"utf16", "utf16_latvian_ci"}},
    Entry{104, {"utf16", "utf16_romanian_ci"}},
    Entry{105, {"utf16", "utf16_slovenian_ci"}},
    Entry{106, {"utf16", "utf16_polish_ci"}},
    Entry{107, {"utf16", "utf16_estonian_ci"}},
    Entry{108, {"utf16", "utf16_spanish_ci"}},
    Entry{109, {"utf16", "utf16_swedish_ci"}},
    Entry{110, {"utf16", "utf16_turkish_ci"}},
    Entry{111, {"utf16", "utf16_czech_ci"}},
    Entry{112, {"utf16", "utf16_danish_ci"}},
    Entry{113, {"utf16", "utf16_lithuanian_ci"}},
    Entry{114, {"utf16", "utf16_slovak_ci"}},
    Entry{115, {"utf16", "utf16_spanish2_ci"}},
    Entry{116, {"utf16", "utf16_roman_ci"}},
    Entry{117, {"utf16", "utf16_persian_ci"}},
    Entry{118, {"utf16", "utf16_esperanto_ci"}},
    Entry{119, {"utf16", "utf16_hungarian_ci"}},
    Entry{120, {"utf16", "utf16_sinhala_ci"}},
    Entry{121, {"utf16", "utf16_german2_ci"}},
    Entry{122, {"utf16", "utf16_croatian_mysql561_ci"}},
    Entry{123, {"utf16", "utf16_unicode_520_ci"}},
    Entry{124, {"utf16", "utf16_vietnamese_ci"}},
    Entry{128, {"ucs2", "ucs2_unicode_ci"}},
    Entry{129, {"ucs2", "ucs2_icelandic_ci"}},
    Entry{130, {"ucs2", "ucs2_latvian_ci"}},
    Entry{131, {"ucs2", "ucs2_romanian_ci"}},
    Entry{132, {"ucs2", "ucs2_slovenian_ci"}},
    Entry{133, {"ucs2", "ucs2_polish_ci"}},
    Entry{134, {"ucs2", "ucs2_estonian_ci"}},
    Entry{135, {"ucs2", "ucs2_spanish_ci"}},
    Entry{136, {"ucs2", "ucs2_swedish_ci"}},
    Entry{137, {"ucs2", "ucs2_turkish_ci"}},
    Entry{138, {"ucs2", "ucs2_czech_ci"}},
    Entry{139, {"ucs2", "ucs2_danish_ci"}},
    Entry{140, {"ucs2", "ucs2_lithuanian_ci"}},
    Entry{141, {"ucs2", "ucs2_slovak_ci"}},
    Entry{142, {"ucs2", "ucs2_spanish2_ci"}},
    Entry{143, {"ucs2", "ucs2_roman_ci"}},
    Entry{144, {"ucs2", "ucs2_persian_ci"}},
    Entry{145, {"ucs2", "ucs2_esperanto_ci"}},
    Entry{146, {"ucs2", "ucs2_hungarian_ci"}},
    Entry{147, {"ucs2", "ucs2_sinhala_ci"}},
    Entry{148, {"ucs2", "ucs2_german2_ci"}},
    Entry{149, {"ucs2", "ucs2_croatian_mysql561_ci"}},
    Entry{150, {"ucs2", "ucs2_unicode_520_ci"}},
    Entry{151, {"ucs2", "ucs2_vietnamese_ci"}},
    Entry{159, {"ucs2", "ucs2_general_mysql500_ci"}},
    Entry{160, {"utf32", "utf32_unicode_ci"}},
    Entry{161, {"utf32", "utf32_icelandic_ci"}},
    Entry{162, {"utf32", "utf32_latvian_ci"}},
    Entry{163, {"utf32", "utf32_romanian_ci"}},
    Entry{164, {"utf32", "utf32_slovenian_ci"}},
    Entry{165, {"utf32", "utf32_polish_ci"}},
    Entry{166, {"utf32", "utf32_estonian_ci"}},
    Entry{167, {"utf32", "utf32_spanish_ci"}},
    Entry{168, {"utf32", "utf32_swedish_ci"}},
    Entry{169, {"utf32", "utf32_turkish_ci"}},
    Entry{170, {"utf32", "utf32_czech_ci"}},
    Entry{171, {"utf32", "utf32_danish_ci"}},
    Entry{172, {"utf32", "utf32_lithuanian_ci"}},
    Entry{173, {"utf32", "utf32_slovak_ci"}},
    Entry{174, {"utf32", "utf32_spanish2_ci"}},
    Entry{175, {"utf32", "utf32_roman_ci"}},
    Entry{176, {"utf32", "utf32_persian_ci"}},
    Entry{177, {"utf32", "utf32_esperanto_ci"}},
    Entry{178, {"utf32", "utf32_hungarian_ci"}},
    Entry{179, {"utf32", "utf32_sinhala_ci"}},
    Entry{180, {"utf32", "utf32_german2_ci"}},
    Entry{181, {"utf32", "utf32_croatian_mysql561_ci"}},
    Entry{182, {"utf32", "utf32_unicode_520_ci"}},
    Entry{183, {"utf32", "utf32_vietnamese_ci"}},
    Entry{192, {"utf8mb3", "utf8mb3_unicode_ci"}},
    Entry{193, {"utf8mb3", "utf8mb3_icelandic_ci"}},
    Entry{194, {"utf8mb3", "utf8mb3_latvian_ci"}},
    Entry{195, {"utf8mb3", "utf8mb3_romanian_ci"}},
    Entry{196, {"utf8mb3", "utf8mb3_slovenian_ci"}},
    Entry{197, {"utf8mb3", "utf8mb3_polish_ci"}},
    Entry{198, {"utf8mb3", "utf8mb3_estonian_ci"}},
    Entry{199, {"utf8mb3", "utf8mb3_spanish_ci"}},
    Entry{200, {"utf8mb3", "utf8mb3_swedish_ci"}},
    Entry{201, {"utf8mb3", "utf8mb3_turkish_ci"}},
    Entry{202, {"utf8mb3", "utf8mb3_czech_ci"}},
    Entry{203, {"utf8mb3", "utf8mb3_danish_ci"}},
    Entry{204, {"utf8mb3", "utf8mb3_lithuanian_ci"}},
    Entry{205, {"utf8mb3", "utf8mb3_slovak_ci"}},
    Entry{206, {"utf8mb3", "utf8mb3_spanish2_ci"}},
    Entry{207, {"utf8mb3", "utf8mb3_roman_ci"}},
    Entry{208, {"utf8mb3", "utf8mb3_persian_ci"}},
    Entry{209, {"utf8mb3", "utf8mb3_esperanto_ci"}},
    Entry{210, {"utf8mb3", "utf8mb3_hungarian_ci"}},
    Entry{211, {"utf8mb3", "utf8mb3_sinhala_ci"}},
    Entry{212, {"utf8mb3", "utf8mb3_german2_ci"}},
    Entry{213, {"utf8mb3", "utf8mb3_croatian_mysql561_ci"}},
    Entry{214, {"utf8mb3", "utf8mb3_unicode_520_ci"}},
    Entry{215, {"utf8mb3", "utf8mb3_vietnamese_ci"}},
    Entry{223, {"utf8mb3", "utf8mb3_general_mysql500_ci"}},
    Entry{224, {"utf8mb4", "utf8mb4_unicode_ci"}},
    Entry{225, {"utf8mb4", "utf8mb4_icelandic_ci"}},
    Entry{226, {"utf8mb4", "utf8mb4_latvian_ci"}},
    Entry{227, {"utf8mb4", "utf8mb4_romanian_ci"}},
    Entry{228, {"utf8mb4", "utf8mb4_slovenian_ci"}},
    Entry{229, {"utf8mb4", "utf8mb4_polish_ci"}},
    Entry{230, {"utf8mb4", "utf8mb4_estonian_ci"}},
    Entry{231, {"utf8mb4", "utf8mb4_spanish_ci"}},
    Entry{232, {"utf8mb4", "utf8mb4_swedish_ci"}},
    Entry{233, {"utf8mb4", "utf8mb4_turkish_ci"}},
    Entry{234, {"utf8mb4", "utf8mb4_czech_ci"}},
    Entry{235, {"utf8mb4", "utf8mb4_danish_ci"}},
    Entry{236, {"utf8mb4", "utf8mb4_lithuanian_ci"}},
    Entry{237, {"utf8mb4", "utf8mb4_slovak_ci"}},
    Entry{238, {"utf8mb4", "utf8mb4_spanish2_ci"}},
    Entry{239, {"utf8mb4", "utf8mb4_roman_ci"}},
    Entry{240, {"utf8mb4", "utf8mb4_persian_ci"}},
    Entry{241, {"utf8mb4", "utf8mb4_esperanto_ci"}},
    Entry{242, {"utf8mb4", "utf8mb4_hungarian_ci"}},
    Entry{243, {"utf8mb4", "utf8mb4_sinhala_ci"}},
    Entry{244, {"utf8mb4", "utf8mb4_german2_ci"}},
    Entry{245, {"utf8mb4", "utf8mb4_croatian_mysql561_ci"}},
    Entry{246, {"utf8mb4", "utf8mb4_unicode_520_ci"}},
    Entry{247, {"utf8mb4", "utf8mb4_vietnamese_ci"}},
    Entry{255, {"utf8mb4", ""}},  // MySQL 8's utf8mb4_0900_ai_ci, which MariaDB lacks
};
}  // namespace

std::optional<Collation> collation_by_id(std::uint8_t id) {
  for (const Entry& entry : kCollations) {
    if (entry.id == id) return entry.collation;
  }
  return std::nullopt;
}

std::string set_names_statement(const Collation& collation) {
  std::string statement = "SET NAMES '" + std::string(collation.character_set) + "'";
  if (!collation.name.empty()) statement += " COLLATE '" + std::string(collation.name) + "'";
  return statement;
}

namespace {
constexpr std::array<std::string_view, 4> kTwoByteCharacterSets{"big5", "cp932", "gbk", "sjis"};

bool contains_case_insensitive(std::string_view text, std::string_view lower_word) {
  if (lower_word.size() > text.size()) return false;
  for (std::size_t at = 0; at + lower_word.size() <= text.size(); ++at) {
    bool equal = true;
    for (std::size_t i = 0; i < lower_word.size() && equal; ++i) {
      equal = std::tolower(static_cast<unsigned char>(text[at + i])) == lower_word[i];
    }
    if (equal) return true;
  }
  return false;
}
}  // namespace

bool has_two_byte_characters(std::string_view character_set) {
  return std::find(kTwoByteCharacterSets.begin(), kTwoByteCharacterSets.end(), character_set) !=
         kTwoByteCharacterSets.end();
}

bool names_two_byte_charset(std::string_view sql) {
  return std::any_of(kTwoByteCharacterSets.begin(), kTwoByteCharacterSets.end(),
                     [&](std::string_view name) { return contains_case_insensitive(sql, name); });
}

}  // namespace sluice::mysql
