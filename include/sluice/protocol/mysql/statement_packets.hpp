#pragma once
// The binary prepared-statement packets Sluice reads and rewrites to move a client's
// statements between backends (MySQL docs: "COM_STMT_PREPARE", "COM_STMT_EXECUTE"). Sans-I/O:
// payloads in, payloads out; every length is checked before it is read.
//
//   COM_STMT_PREPARE_OK: 0x00, statement_id<4>, num_columns<2>, num_params<2>, 0x00, warnings<2>
//   COM_STMT_EXECUTE:    0x17, statement_id<4>, flags<1>, iteration_count<4>,
//                        [num_params > 0: null_bitmap<(n+7)/8>, new_params_bound<1>,
//                                         [bound: types<2n>], values...]
//   COM_STMT_FETCH / CLOSE / RESET / SEND_LONG_DATA: command, statement_id<4>, ...
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sluice::mysql {

// MariaDB's "the statement prepared last on this connection" (COM_STMT_EXECUTE right behind its
// COM_STMT_PREPARE, pipelined by Connector/C): it means the same on any backend.
inline constexpr std::uint32_t kLastStatementId = 0xFFFFFFFF;
// An id no server gives out: a client's unknown statement becomes this, so the server refuses
// it instead of running another statement that has the client's number on this backend.
inline constexpr std::uint32_t kNoStatementId = 0;
// COM_STMT_EXECUTE flags: a cursor type other than CURSOR_TYPE_NO_CURSOR opens a cursor.
inline constexpr std::uint8_t kCursorTypeMask = 0x07;

struct PrepareOk {
  std::uint32_t statement_id = 0;
  std::uint16_t num_columns = 0;
  std::uint16_t num_params = 0;
};

// A COM_STMT_PREPARE_OK packet's fields; nullopt unless the payload is one.
std::optional<PrepareOk> read_prepare_ok(std::span<const std::uint8_t> payload);

// True for the commands whose payload starts with command<1>, statement_id<4>.
bool names_statement(std::uint8_t command);
// The statement id of such a command; nullopt if the payload is too short.
std::optional<std::uint32_t> read_statement_id(std::span<const std::uint8_t> payload);
// The payload with its statement id replaced (the caller checked read_statement_id).
std::string with_statement_id(std::span<const std::uint8_t> payload, std::uint32_t statement_id);

struct ExecuteHead {
  std::uint32_t statement_id = 0;
  std::uint8_t flags = 0;
  bool new_params_bound = false;
  std::string_view types;        // 2 bytes a parameter when new_params_bound; else empty
  std::size_t bound_offset = 0;  // the new_params_bound byte's offset (0 without parameters)
  bool opens_cursor() const { return (flags & kCursorTypeMask) != 0; }
};

// A COM_STMT_EXECUTE's head for a statement of `num_params` parameters; nullopt if the payload
// is too short for it.
std::optional<ExecuteHead> read_execute(std::span<const std::uint8_t> payload, std::uint16_t num_params);

// A COM_STMT_EXECUTE that sent no types, rewritten for `statement_id` to send `types` (the ones
// the client bound last): the flag set and the types inserted after it. nullopt if the payload
// is not such an execute for `types.size() / 2` parameters.
std::optional<std::string> execute_with_types(std::span<const std::uint8_t> payload, std::uint32_t statement_id,
                                              std::string_view types);

// Payloads of the statement commands Sluice sends itself.
std::string stmt_prepare_payload(std::string_view sql);
std::string stmt_close_payload(std::uint32_t statement_id);

}  // namespace sluice::mysql
