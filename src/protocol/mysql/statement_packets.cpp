// Reading and rewriting binary prepared-statement packets (statement_packets.hpp).
#include "sluice/protocol/mysql/statement_packets.hpp"

#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"

namespace sluice::mysql {

namespace {
constexpr std::size_t kPrepareOkLength = 12;   // header, id, columns, params, filler, warnings
constexpr std::size_t kExecuteFixed = 10;      // command, id, flags, iteration_count
constexpr std::size_t kStatementIdEnd = 5;     // command<1> + statement_id<4>
}  // namespace

std::optional<PrepareOk> read_prepare_ok(std::span<const std::uint8_t> payload) {
  if (payload.size() < kPrepareOkLength || payload[0] != 0x00) return std::nullopt;
  return PrepareOk{load_le32(payload.data() + 1), load_le16(payload.data() + 5), load_le16(payload.data() + 7)};
}

bool names_statement(std::uint8_t command) {
  return command == command::COM_STMT_EXECUTE || command == command::COM_STMT_SEND_LONG_DATA ||
         command == command::COM_STMT_CLOSE || command == command::COM_STMT_RESET ||
         command == command::COM_STMT_FETCH;
}

std::optional<std::uint32_t> read_statement_id(std::span<const std::uint8_t> payload) {
  if (payload.size() < kStatementIdEnd) return std::nullopt;
  return load_le32(payload.data() + 1);
}

std::string with_statement_id(std::span<const std::uint8_t> payload, std::uint32_t statement_id) {
  std::string out(as_text(payload));
  for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<char>(statement_id >> (8 * i));
  return out;
}

std::optional<ExecuteHead> read_execute(std::span<const std::uint8_t> payload, std::uint16_t num_params) {
  if (payload.size() < kExecuteFixed || payload[0] != command::COM_STMT_EXECUTE) return std::nullopt;
  ExecuteHead head;
  head.statement_id = load_le32(payload.data() + 1);
  head.flags = payload[5];
  if (num_params == 0) return head;
  const std::size_t bitmap = (std::size_t{num_params} + 7) / 8;
  head.bound_offset = kExecuteFixed + bitmap;
  // A client may leave out everything after the fixed part when it sends no values (some
  // connectors do for a statement whose parameters are all NULL-less long data): nothing to read.
  if (payload.size() <= head.bound_offset) return std::nullopt;
  head.new_params_bound = payload[head.bound_offset] == 1;
  if (!head.new_params_bound) return head;
  const std::size_t types_length = 2 * std::size_t{num_params};
  if (payload.size() - head.bound_offset - 1 < types_length) return std::nullopt;
  head.types = as_text(payload.subspan(head.bound_offset + 1, types_length));
  return head;
}

std::optional<std::string> execute_with_types(std::span<const std::uint8_t> payload, std::uint32_t statement_id,
                                              std::string_view types) {
  if (types.empty() || types.size() % 2 != 0 || types.size() / 2 > 0xFFFF) return std::nullopt;
  const auto head = read_execute(payload, static_cast<std::uint16_t>(types.size() / 2));
  if (!head || head->new_params_bound) return std::nullopt;
  std::string out = with_statement_id(payload, statement_id);
  out[head->bound_offset] = 1;
  out.insert(head->bound_offset + 1, types);
  return out;
}

std::string stmt_prepare_payload(std::string_view sql) {
  std::string payload(1, static_cast<char>(command::COM_STMT_PREPARE));
  payload.append(sql);
  return payload;
}

std::string stmt_close_payload(std::uint32_t statement_id) {
  std::string payload(1, static_cast<char>(command::COM_STMT_CLOSE));
  append_le32(payload, statement_id);
  return payload;
}

}  // namespace sluice::mysql
