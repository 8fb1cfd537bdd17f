#pragma once
// What an admin command answers, independent of any wire protocol: text columns, rows of
// text or NULL, the command tag, notices to show first, and an action to run only once
// the answer has reached the client (SHUTDOWN must not cut its own reply short).
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sluice::admin {

using Row = std::vector<std::optional<std::string>>;  // nullopt is SQL NULL

struct ResultSet {
  std::vector<std::string> columns;  // empty: the command returns no rows (PAUSE, RELOAD...)
  std::vector<Row> rows;             // each exactly columns.size() wide
  std::string command_tag;           // "SHOW", "PAUSE", ...
  std::vector<std::string> notices;  // sent before the rows (SHOW HELP)
  std::function<void()> after_sent;  // run by the front end after the reply is written

  // Index of a column by name, or -1.
  int column_index(const std::string& name) const {
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == name) return static_cast<int>(i);
    }
    return -1;
  }
};

}  // namespace sluice::admin
