#include "sluice/protocol/postgres/constants.hpp"

#include <array>
#include <initializer_list>
#include <utility>

namespace sluice::pg {

namespace {

using NameTable = std::array<std::string_view, 256>;

constexpr NameTable make_table(std::initializer_list<std::pair<char, std::string_view>> entries) {
  NameTable table{};
  for (const auto& [type, name] : entries) table[static_cast<unsigned char>(type)] = name;
  return table;
}

constexpr NameTable kFrontendNames = make_table({
    {frontend::Bind, "Bind"},
    {frontend::Close, "Close"},
    {frontend::CopyData, "CopyData"},
    {frontend::CopyDone, "CopyDone"},
    {frontend::CopyFail, "CopyFail"},
    {frontend::Describe, "Describe"},
    {frontend::Execute, "Execute"},
    {frontend::Flush, "Flush"},
    {frontend::FunctionCall, "FunctionCall"},
    {frontend::Parse, "Parse"},
    {frontend::PasswordMessage, "PasswordMessage"},
    {frontend::Query, "Query"},
    {frontend::Sync, "Sync"},
    {frontend::Terminate, "Terminate"},
});

constexpr NameTable kBackendNames = make_table({
    {backend::Authentication, "Authentication"},
    {backend::BackendKeyData, "BackendKeyData"},
    {backend::BindComplete, "BindComplete"},
    {backend::CloseComplete, "CloseComplete"},
    {backend::CommandComplete, "CommandComplete"},
    {backend::CopyData, "CopyData"},
    {backend::CopyDone, "CopyDone"},
    {backend::CopyInResponse, "CopyInResponse"},
    {backend::CopyOutResponse, "CopyOutResponse"},
    {backend::CopyBothResponse, "CopyBothResponse"},
    {backend::DataRow, "DataRow"},
    {backend::EmptyQueryResponse, "EmptyQueryResponse"},
    {backend::ErrorResponse, "ErrorResponse"},
    {backend::FunctionCallResponse, "FunctionCallResponse"},
    {backend::NegotiateProtocolVersion, "NegotiateProtocolVersion"},
    {backend::NoData, "NoData"},
    {backend::NoticeResponse, "NoticeResponse"},
    {backend::NotificationResponse, "NotificationResponse"},
    {backend::ParameterDescription, "ParameterDescription"},
    {backend::ParameterStatus, "ParameterStatus"},
    {backend::ParseComplete, "ParseComplete"},
    {backend::PortalSuspended, "PortalSuspended"},
    {backend::ReadyForQuery, "ReadyForQuery"},
    {backend::RowDescription, "RowDescription"},
});

}  // namespace

std::string_view frontend_message_name(char type) {
  return kFrontendNames[static_cast<unsigned char>(type)];
}

std::string_view backend_message_name(char type) {
  return kBackendNames[static_cast<unsigned char>(type)];
}

}  // namespace sluice::pg
