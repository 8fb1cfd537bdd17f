#include "sluice/protocol/mysql/collations.hpp"

#include <array>

namespace sluice::mysql {

namespace {
struct Entry {
  std::uint8_t id;
  Collation collation;
};

// MariaDB's ids (SELECT ID, CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLLATIONS),
// with MySQL 8's 255 (utf8mb4_0900_ai_ci, which MariaDB 10 lacks) as utf8mb4's default.
constexpr std::array kCollations{
    Entry{1, {"big5", "big5_chinese_ci"}},      Entry{8, {"latin1", "latin1_swedish_ci"}},
    Entry{11, {"ascii", "ascii_general_ci"}},   Entry{13, {"sjis", "sjis_japanese_ci"}},
    Entry{24, {"gb2312", "gb2312_chinese_ci"}}, Entry{28, {"gbk", "gbk_chinese_ci"}},
    Entry{33, {"utf8mb3", "utf8mb3_general_ci"}}, Entry{45, {"utf8mb4", "utf8mb4_general_ci"}},
    Entry{46, {"utf8mb4", "utf8mb4_bin"}},      Entry{47, {"latin1", "latin1_bin"}},
    Entry{48, {"latin1", "latin1_general_ci"}}, Entry{63, {"binary", ""}},
    Entry{83, {"utf8mb3", "utf8mb3_bin"}},      Entry{192, {"utf8mb3", "utf8mb3_unicode_ci"}},
    Entry{224, {"utf8mb4", "utf8mb4_unicode_ci"}}, Entry{255, {"utf8mb4", ""}},
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

}  // namespace sluice::mysql
