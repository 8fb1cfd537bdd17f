// PostgreSQL frontend/backend protocol v3: numbers, caps and message type bytes.
// Names follow https://www.postgresql.org/docs/current/protocol-message-formats.html
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::pg {

// Request codes carried where a StartupMessage carries its protocol version.
inline constexpr std::uint32_t kProtocolVersion3 = 196608;      // 3.0: major << 16 | minor
inline constexpr std::uint32_t kSslRequestCode = 80877103;      // 1234.5679
inline constexpr std::uint32_t kGssEncRequestCode = 80877104;   // 1234.5680
inline constexpr std::uint32_t kCancelRequestCode = 80877102;   // 1234.5678
inline constexpr std::uint32_t kSpecialRequestMajor = 1234;     // major of the three codes above

constexpr std::uint32_t protocol_major(std::uint32_t version) { return version >> 16; }
constexpr std::uint32_t protocol_minor(std::uint32_t version) { return version & 0xffffu; }

// Caps every wire length is checked against before reading or allocating.
inline constexpr std::size_t kMaxStartupPacketLength = 10000;   // PostgreSQL's own cap
inline constexpr std::size_t kMinStartupPacketLength = 8;       // int32 length + int32 code
inline constexpr std::size_t kSslRequestLength = 8;
inline constexpr std::size_t kGssEncRequestLength = 8;
inline constexpr std::size_t kCancelRequestLength = 16;         // protocol 3.0: 4-byte secret key
inline constexpr std::size_t kHeaderLength = 5;                 // type byte + int32 length
inline constexpr std::uint32_t kMinMessageLength = 4;           // the length counts itself
inline constexpr std::uint32_t kMaxWireLength = 0x7fffffff;     // lengths are int32 on the wire
inline constexpr std::size_t kMaxSaslMechanisms = 32;           // AuthenticationSASL list entries

// Message type bytes sent by clients (frontend).
namespace frontend {
inline constexpr char Bind = 'B';
inline constexpr char Close = 'C';
inline constexpr char CopyData = 'd';
inline constexpr char CopyDone = 'c';
inline constexpr char CopyFail = 'f';
inline constexpr char Describe = 'D';
inline constexpr char Execute = 'E';
inline constexpr char Flush = 'H';
inline constexpr char FunctionCall = 'F';
inline constexpr char Parse = 'P';
// PasswordMessage, GSSResponse, SASLInitialResponse and SASLResponse share 'p'.
inline constexpr char PasswordMessage = 'p';
inline constexpr char Query = 'Q';
inline constexpr char Sync = 'S';
inline constexpr char Terminate = 'X';

// What a logged-in client may send (PostgresMain's list; 'p' belongs to the login only). Any
// other type is refused with 08P01 instead of relayed to a backend that would die of it.
constexpr bool is_data_phase_message(char type) {
  switch (type) {
    case Bind: case Close: case CopyData: case CopyDone: case CopyFail: case Describe: case Execute:
    case Flush: case FunctionCall: case Parse: case Query: case Sync: case Terminate:
      return true;
    default:
      return false;
  }
}
}  // namespace frontend

// Message type bytes sent by servers (backend).
namespace backend {
inline constexpr char Authentication = 'R';
inline constexpr char BackendKeyData = 'K';
inline constexpr char BindComplete = '2';
inline constexpr char CloseComplete = '3';
inline constexpr char CommandComplete = 'C';
inline constexpr char CopyData = 'd';
inline constexpr char CopyDone = 'c';
inline constexpr char CopyInResponse = 'G';
inline constexpr char CopyOutResponse = 'H';
inline constexpr char CopyBothResponse = 'W';
inline constexpr char DataRow = 'D';
inline constexpr char EmptyQueryResponse = 'I';
inline constexpr char ErrorResponse = 'E';
inline constexpr char FunctionCallResponse = 'V';
inline constexpr char NegotiateProtocolVersion = 'v';
inline constexpr char NoData = 'n';
inline constexpr char NoticeResponse = 'N';
inline constexpr char NotificationResponse = 'A';
inline constexpr char ParameterDescription = 't';
inline constexpr char ParameterStatus = 'S';
inline constexpr char ParseComplete = '1';
inline constexpr char PortalSuspended = 's';
inline constexpr char ReadyForQuery = 'Z';
inline constexpr char RowDescription = 'T';
}  // namespace backend

// Authentication request codes (the int32 after 'R').
namespace auth_code {
inline constexpr std::uint32_t Ok = 0;
inline constexpr std::uint32_t KerberosV5 = 2;
inline constexpr std::uint32_t CleartextPassword = 3;
inline constexpr std::uint32_t MD5Password = 5;
inline constexpr std::uint32_t GSS = 7;
inline constexpr std::uint32_t GSSContinue = 8;
inline constexpr std::uint32_t SSPI = 9;
inline constexpr std::uint32_t SASL = 10;
inline constexpr std::uint32_t SASLContinue = 11;
inline constexpr std::uint32_t SASLFinal = 12;
}  // namespace auth_code

// ReadyForQuery transaction status.
namespace transaction_status {
inline constexpr char Idle = 'I';
inline constexpr char InTransaction = 'T';
inline constexpr char Failed = 'E';
}  // namespace transaction_status

// ErrorResponse / NoticeResponse field codes.
namespace error_field {
inline constexpr char Severity = 'S';
inline constexpr char SeverityNonLocalized = 'V';
inline constexpr char Code = 'C';
inline constexpr char Message = 'M';
inline constexpr char Detail = 'D';
inline constexpr char Hint = 'H';
}  // namespace error_field

// Protocol-doc name of a message type byte ("Query", "ReadyForQuery"), or "" if unknown.
// For logs and protocol_violation reasons; never on the per-message path.
std::string_view frontend_message_name(char type);
std::string_view backend_message_name(char type);
// A type PostgreSQL sends (one table lookup: cheap enough for every relayed message).
inline bool is_backend_message(char type) { return !backend_message_name(type).empty(); }

}  // namespace sluice::pg
