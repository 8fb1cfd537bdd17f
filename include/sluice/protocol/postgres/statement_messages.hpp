// The extended-protocol messages that name prepared statements - Parse, Bind, Describe, Close -
// read so Sluice can rename the statement, and written back with the new name. Everything but
// the names is kept as the client's bytes.
//
// Readers take one whole message body (the bytes after the 5-byte header), check every count
// and length against what the body holds, and reject trailing bytes; they never throw and never
// read out of bounds. Views point into the body. Writers append one complete message and
// refuse (return false, append nothing) a name holding a NUL or a message longer than the
// protocol's int32 length allows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice::pg {

// Describe and Close name their target with one byte (protocol-message-formats).
inline constexpr char kTargetStatement = 'S';
inline constexpr char kTargetPortal = 'P';

// A Parse's parameter count is an Int16 read unsigned: at most this many type OIDs.
inline constexpr std::size_t kMaxParameterTypes = 65535;

// Parse ('P'): statement name, query text, parameter type OIDs.
struct ParseMessage {
  std::string_view statement;  // "" is the unnamed statement
  std::string_view query;
  std::span<const std::uint8_t> parameter_types;  // Int32 OIDs as on the wire: 4 bytes each (0 = unspecified)

  std::size_t parameter_count() const { return parameter_types.size() / 4; }
  std::uint32_t parameter_type(std::size_t index) const;  // index < parameter_count()
};
std::optional<ParseMessage> read_parse(std::span<const std::uint8_t> body);

// Bind ('B'): portal and statement names, then the parameter formats, values and result
// formats, validated and kept as they came (`rest`), so a rewrite copies them untouched.
struct BindMessage {
  std::string_view portal;
  std::string_view statement;
  std::span<const std::uint8_t> rest;
};
std::optional<BindMessage> read_bind(std::span<const std::uint8_t> body);

// A Bind's names from the first bytes of its body, for a session that streams the (possibly
// large) parameter values instead of holding the whole message: `rest_offset` is where the
// bytes after the names start. Does not validate what follows the names: read_bind does.
struct BindHead {
  std::string_view portal;
  std::string_view statement;
  std::size_t rest_offset = 0;
};
std::optional<BindHead> read_bind_head(std::span<const std::uint8_t> body_prefix);

// Describe ('D') and Close ('C' from a client): a target byte, 'S' or 'P', and a name.
struct TargetMessage {
  char target;  // kTargetStatement or kTargetPortal
  std::string_view name;
};
std::optional<TargetMessage> read_describe(std::span<const std::uint8_t> body);
std::optional<TargetMessage> read_close(std::span<const std::uint8_t> body);

// Writers. parameter_types as in ParseMessage (a multiple of 4 bytes).
bool write_parse(std::string& out, std::string_view statement, std::string_view query,
                 std::span<const std::uint8_t> parameter_types);
// The Bind with `statement` in place of the client's name.
bool write_bind(std::string& out, const BindMessage& bind, std::string_view statement);
// Only the header and names of a Bind whose `rest_length` remaining bytes the caller sends next.
bool write_bind_head(std::string& out, std::string_view portal, std::string_view statement, std::size_t rest_length);
bool write_describe(std::string& out, char target, std::string_view name);
bool write_close(std::string& out, char target, std::string_view name);

// Replies Sluice makes itself for a statement it did not send on.
void write_parse_complete(std::string& out);
void write_close_complete(std::string& out);

}  // namespace sluice::pg
