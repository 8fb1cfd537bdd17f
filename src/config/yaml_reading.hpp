// Reading YAML with every problem reported at its position: diagnostics, "did you mean",
// mapping entries (with merge keys), scalar readers and key tables. Private to config/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "sluice/config/loader.hpp"

namespace sluice::config::yaml_reading {

inline constexpr int int_max = std::numeric_limits<int>::max();

// ---------------------------------------------------------------------------------------------
// Diagnostics: every reader reports here and carries on, so one run shows every problem.

class Diagnostics {
 public:
  explicit Diagnostics(std::string path) : path_(std::move(path)) {}

  void report(const YAML::Mark& mark, std::string message) {
    errors_.push_back({path_, one_based(mark.line), one_based(mark.column), std::move(message)});
  }

  bool empty() const { return errors_.empty(); }

  // Sorted by position, with repeats dropped (an aliased node is read once per use).
  std::vector<ConfigError> take_sorted() {
    auto position = [](const ConfigError& e) { return std::tie(e.line, e.column, e.message); };
    std::stable_sort(errors_.begin(), errors_.end(),
                     [&](const ConfigError& a, const ConfigError& b) { return position(a) < position(b); });
    auto same = [&](const ConfigError& a, const ConfigError& b) { return position(a) == position(b); };
    errors_.erase(std::unique(errors_.begin(), errors_.end(), same), errors_.end());
    return std::move(errors_);
  }

 private:
  // yaml-cpp counts from 0 and uses -1 for "no position"; people count from 1.
  static int one_based(int zero_based) { return zero_based < 0 ? 1 : zero_based + 1; }

  std::string path_;
  std::vector<ConfigError> errors_;
};

// ---------------------------------------------------------------------------------------------
// "Did you mean": optimal-string-alignment distance, ignoring case and '-' versus '_'.

inline char fold(char c) { return c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      const bool transposed = i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1]);
      if (transposed) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

// " (did you mean 'x'?)" when one candidate is close enough to be a plausible typo, else "".
inline std::string did_you_mean(std::string_view word, const std::vector<std::string_view>& candidates) {
  const std::size_t allowed = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  std::string_view best;
  std::size_t best_distance = allowed + 1;
  for (std::string_view candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best.empty() ? "" : " (did you mean '" + std::string(best) + "'?)";
}

inline std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view word : words) out += (out.empty() ? "" : ", ") + std::string(word);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mapping entries.

struct Entry {
  std::string key;
  std::string path;  // dotted, for messages: "databases.app.pool_size"
  YAML::Mark key_mark;
  YAML::Node value;

  // An empty value's own mark points at the next token; the key is where the reader looks.
  YAML::Mark value_mark() const { return value.IsNull() ? key_mark : value.Mark(); }
};

inline std::string describe(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  if (node.IsNull()) return "nothing";
  return "'" + node.Scalar() + "'";
}

inline std::string location_of(const std::string& where) { return where.empty() ? "at the top level" : "in " + where; }

inline std::string child_path(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

inline std::vector<Entry> entries_of(const YAML::Node& map, const std::string& where, Diagnostics& diag);

// YAML merge keys ("<<: *base") let many databases share one block; explicit keys win.
inline void add_merged(const YAML::Node& source, const std::string& where, std::vector<Entry>& merged, Diagnostics& diag) {
  if (source.IsMap()) {
    for (Entry& entry : entries_of(source, where, diag)) merged.push_back(std::move(entry));
    return;
  }
  if (source.IsSequence()) {
    for (const YAML::Node& item : source) add_merged(item, where, merged, diag);
    return;
  }
  diag.report(source.Mark(), child_path(where, "<<") + ": expected a mapping or a list of mappings to merge");
}

inline bool has_key(const std::vector<Entry>& entries, const std::string& key) {
  return std::any_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.key == key; });
}

// Entries in document order; reports keys that are not plain names and keys given twice.
inline std::vector<Entry> entries_of(const YAML::Node& map, const std::string& where, Diagnostics& diag) {
  std::vector<Entry> entries;
  std::vector<Entry> merged;
  // Range-for keeps each (key, value) pair alive; yaml-cpp's `it->first` would dangle.
  for (const auto& pair : map) {
    const YAML::Node& key = pair.first;
    if (!key.IsScalar()) {
      diag.report(key.Mark(), "expected a plain key name " + location_of(where) + ", got " + describe(key));
    } else if (key.Scalar() == "<<") {
      add_merged(pair.second, where, merged, diag);
    } else if (has_key(entries, key.Scalar())) {
      diag.report(key.Mark(), "duplicate key '" + key.Scalar() + "' " + location_of(where));
    } else {
      entries.push_back({key.Scalar(), child_path(where, key.Scalar()), key.Mark(), pair.second});
    }
  }
  for (Entry& entry : merged) {
    if (!has_key(entries, entry.key)) entries.push_back(std::move(entry));
  }
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Value readers: each reports a wrong value at the value's position and returns nullopt.

template <typename T, typename U>
void assign(T& target, const std::optional<U>& value) {
  if (value) target = *value;
}

inline std::optional<std::string> read_scalar(const Entry& e, std::string_view expected, Diagnostics& diag) {
  if (e.value.IsScalar()) return e.value.Scalar();
  diag.report(e.value_mark(), e.path + ": expected " + std::string(expected) + ", got " + describe(e.value));
  return std::nullopt;
}

inline std::optional<std::string> read_string(const Entry& e, Diagnostics& diag) { return read_scalar(e, "a string", diag); }

inline std::optional<std::string> read_nonempty_string(const Entry& e, Diagnostics& diag) {
  auto text = read_string(e, diag);
  if (text && text->empty()) {
    diag.report(e.value_mark(), e.path + ": must not be empty (remove the key or write null to leave it unset)");
    return std::nullopt;
  }
  return text;
}

inline std::string range_text(long long min, long long max) {
  if (max == int_max) return "at least " + std::to_string(min);
  return "between " + std::to_string(min) + " and " + std::to_string(max);
}

inline std::optional<int> read_integer(const Entry& e, int min, int max, Diagnostics& diag) {
  auto text = read_scalar(e, "an integer", diag);
  if (!text) return std::nullopt;
  long long value = 0;
  const char* end = text->data() + text->size();
  auto [rest, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || rest != end || ec == std::errc::invalid_argument) {
    diag.report(e.value_mark(), e.path + ": expected an integer, got '" + *text + "'");
    return std::nullopt;
  }
  const bool negative = !text->empty() && text->front() == '-';
  const bool too_large = (ec == std::errc::result_out_of_range && !negative) || value > max;
  if (too_large && max == int_max) {
    diag.report(e.value_mark(), e.path + ": must be at most " + std::to_string(max) + ", got " + *text);
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    diag.report(e.value_mark(), e.path + ": must be " + range_text(min, max) + ", got " + *text);
    return std::nullopt;
  }
  return static_cast<int>(value);
}

inline std::optional<Duration> read_duration(const Entry& e, Diagnostics& diag) {
  auto text = read_scalar(e, "a duration like 250ms, 30s, 5m or 1h", diag);
  if (!text) return std::nullopt;
  std::string error;
  auto duration = parse_duration(*text, error);
  if (!duration) diag.report(e.value_mark(), e.path + ": " + error);
  return duration;
}

// One of a fixed set of words, with a suggestion for near misses.
inline std::optional<std::string> read_word(const Entry& e, const std::vector<std::string_view>& choices, Diagnostics& diag) {
  auto text = read_scalar(e, "one of " + join(choices), diag);
  if (!text) return std::nullopt;
  if (std::find(choices.begin(), choices.end(), *text) != choices.end()) return text;
  diag.report(e.value_mark(),
              e.path + ": expected one of " + join(choices) + ", got '" + *text + "'" + did_you_mean(*text, choices));
  return std::nullopt;
}

template <typename Enum, std::size_t N>
std::optional<Enum> read_enum(const Entry& e, const std::array<std::pair<Enum, std::string_view>, N>& names,
                              Diagnostics& diag) {
  std::vector<std::string_view> choices;
  for (const auto& [value, name] : names) choices.push_back(name);
  auto word = read_word(e, choices, diag);
  if (!word) return std::nullopt;
  for (const auto& [value, name] : names) {
    if (name == *word) return value;
  }
  return std::nullopt;
}

template <std::size_t N>
std::optional<std::string> read_word(const Entry& e, const std::array<std::string_view, N>& choices, Diagnostics& diag) {
  return read_word(e, std::vector<std::string_view>(choices.begin(), choices.end()), diag);
}

// "a, b ,c" -> {"a", "b", "c"}: PgBouncer writes user lists as one comma-separated string.
inline void split_names(std::string_view text, std::vector<std::string>& names) {
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view name = text.substr(0, comma);
    const auto first = name.find_first_not_of(' ');
    if (first != std::string_view::npos) names.emplace_back(name.substr(first, name.find_last_not_of(' ') + 1 - first));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
}

// A list of names, or one string of comma-separated names (user names unless `what` says).
inline std::vector<std::string> read_name_list(const Entry& e, Diagnostics& diag,
                                               std::string_view what = "a user name") {
  std::vector<std::string> names;
  auto add = [&](const YAML::Node& node) {
    if (node.IsScalar() && !node.Scalar().empty()) return split_names(node.Scalar(), names);
    diag.report(node.IsNull() ? e.key_mark : node.Mark(), e.path + ": expected " + std::string(what) + ", got " + describe(node));
  };
  if (e.value.IsSequence()) {
    for (const YAML::Node& item : e.value) add(item);
  } else {
    add(e.value);
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// Key tables: each section is a table of (key, reader); a reader sees only non-null values,
// because `key: null` means the same as leaving the key out.

template <typename Target>
struct KeyReader {
  std::string_view name;
  void (*read)(const Entry&, Target&, Diagnostics&);
};

template <typename Target, std::size_t N>
bool dispatch(const std::array<KeyReader<Target>, N>& keys, const Entry& entry, Target& target, Diagnostics& diag) {
  for (const KeyReader<Target>& key : keys) {
    if (key.name != entry.key) continue;
    if (!entry.value.IsNull()) key.read(entry, target, diag);
    return true;
  }
  return false;
}

template <typename Target, std::size_t N>
void add_names(const std::array<KeyReader<Target>, N>& keys, std::vector<std::string_view>& names) {
  for (const KeyReader<Target>& key : keys) names.push_back(key.name);
}


}  // namespace sluice::config::yaml_reading
