#pragma once
// What an admin command answers, independent of any wire protocol: typed columns, rows of
// text or NULL, the command tag, notices to show first, and an action to run only once
// the answer has reached the client (SHUTDOWN must not cut its own reply short).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sluice::admin {

using Row = std::vector<std::optional<std::string>>;  // nullopt is SQL NULL

// A column's type as PgBouncer declares it (counts int4, statistics numeric, DNS serials int8),
// so drivers hand programs written against PgBouncer the same kinds of values: psycopg an int
// for cl_waiting, not the string "0".
enum class ColumnType : std::uint8_t { text, int4, int8, numeric };

struct ResultSet {
  std::vector<std::string> columns;  // empty: the command returns no rows (PAUSE, RELOAD...)
  std::vector<ColumnType> column_types;  // parallel to columns; a missing entry is text
  std::vector<Row> rows;             // each exactly columns.size() wide
  std::string command_tag;           // "SHOW", "PAUSE", ...
  std::vector<std::string> notices;  // sent before the rows (SHOW HELP)
  std::function<void()> after_sent;  // run by the front end after the reply is written

  ColumnType column_type(std::size_t index) const {
    return index < column_types.size() ? column_types[index] : ColumnType::text;
  }

  // Index of a column by name, or -1.
  int column_index(const std::string& name) const {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == name) return static_cast<int>(i);
    }
    return -1;
  }
};

}  // namespace sluice::admin
