// Small helpers every SHOW view uses to build its ResultSet (internal to admin/).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/admin/show_views.hpp"

namespace sluice::admin {

using Columns = std::initializer_list<const char*>;

inline void add_columns(ResultSet& result, ColumnType type, Columns columns) {
  for (const char* name : columns) {
    result.columns.emplace_back(name);
    result.column_types.push_back(type);
  }
}

// A SHOW result whose first columns are text.
inline ResultSet with_columns(Columns text_columns) {
  ResultSet result;
  result.command_tag = "SHOW";
  add_columns(result, ColumnType::text, text_columns);
  return result;
}

template <class Number>
inline std::optional<std::string> number(Number value) {
  return std::to_string(value);
}

inline std::optional<std::string> text(std::string_view value) { return std::string(value); }

inline std::optional<std::string> flag(bool value) { return value ? "1" : "0"; }

inline std::string join(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) joined += (joined.empty() ? "" : ",") + item;
  return joined;
}

}  // namespace sluice::admin
