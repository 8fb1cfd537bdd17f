#include "sluice/protocol/mysql/constants.hpp"

#include <array>
#include <initializer_list>
#include <utility>

namespace sluice::mysql {

namespace {

using NameTable = std::array<std::string_view, 256>;

constexpr NameTable make_table(std::initializer_list<std::pair<std::uint8_t, std::string_view>> entries) {
  NameTable table{};
  for (const auto& [code, name] : entries) table[code] = name;
  return table;
}

constexpr NameTable kCommandNames = make_table({
    {command::COM_SLEEP, "COM_SLEEP"},
    {command::COM_QUIT, "COM_QUIT"},
    {command::COM_INIT_DB, "COM_INIT_DB"},
    {command::COM_QUERY, "COM_QUERY"},
    {command::COM_FIELD_LIST, "COM_FIELD_LIST"},
    {command::COM_CREATE_DB, "COM_CREATE_DB"},
    {command::COM_DROP_DB, "COM_DROP_DB"},
    {command::COM_REFRESH, "COM_REFRESH"},
    {command::COM_SHUTDOWN, "COM_SHUTDOWN"},
    {command::COM_STATISTICS, "COM_STATISTICS"},
    {command::COM_PROCESS_INFO, "COM_PROCESS_INFO"},
    {command::COM_CONNECT, "COM_CONNECT"},
    {command::COM_PROCESS_KILL, "COM_PROCESS_KILL"},
    {command::COM_DEBUG, "COM_DEBUG"},
    {command::COM_PING, "COM_PING"},
    {command::COM_TIME, "COM_TIME"},
    {command::COM_DELAYED_INSERT, "COM_DELAYED_INSERT"},
    {command::COM_CHANGE_USER, "COM_CHANGE_USER"},
    {command::COM_BINLOG_DUMP, "COM_BINLOG_DUMP"},
    {command::COM_TABLE_DUMP, "COM_TABLE_DUMP"},
    {command::COM_CONNECT_OUT, "COM_CONNECT_OUT"},
    {command::COM_REGISTER_SLAVE, "COM_REGISTER_SLAVE"},
    {command::COM_STMT_PREPARE, "COM_STMT_PREPARE"},
    {command::COM_STMT_EXECUTE, "COM_STMT_EXECUTE"},
    {command::COM_STMT_SEND_LONG_DATA, "COM_STMT_SEND_LONG_DATA"},
    {command::COM_STMT_CLOSE, "COM_STMT_CLOSE"},
    {command::COM_STMT_RESET, "COM_STMT_RESET"},
    {command::COM_SET_OPTION, "COM_SET_OPTION"},
    {command::COM_STMT_FETCH, "COM_STMT_FETCH"},
    {command::COM_DAEMON, "COM_DAEMON"},
    {command::COM_BINLOG_DUMP_GTID, "COM_BINLOG_DUMP_GTID"},
    {command::COM_RESET_CONNECTION, "COM_RESET_CONNECTION"},
    {command::COM_CLONE, "COM_CLONE"},
    {command::COM_SUBSCRIBE_GROUP_REPLICATION_STREAM, "COM_SUBSCRIBE_GROUP_REPLICATION_STREAM"},
    {command::COM_STMT_BULK_EXECUTE, "COM_STMT_BULK_EXECUTE"},
    {command::COM_MULTI, "COM_MULTI"},
});

}  // namespace

std::string_view command_name(std::uint8_t command) { return kCommandNames[command]; }

}  // namespace sluice::mysql
