// A client's KILL, routed by the connection id Sluice gave its target (my_kill_routing.hpp).
#include "sluice/session/mysql/my_kill_routing.hpp"

#include <spdlog/spdlog.h>

#include "sluice/protocol/mysql/errors.hpp"
#include "sluice/session/mysql/my_server.hpp"

namespace sluice::session {

namespace {

constexpr std::uint16_t ER_NO_SUCH_THREAD = 1094;
constexpr std::uint16_t ER_KILL_DENIED_ERROR = 1095;

mysql::ErrPacket error(std::uint16_t code, std::string message) {
  return mysql::ErrPacket{code, "HY000", std::move(message)};
}

}  // namespace

void MyKillTarget::set_owner(std::string user, std::weak_ptr<runtime::ClientHandle> client) {
  std::lock_guard lock(mutex_);
  user_ = std::move(user);
  client_ = std::move(client);
}

std::string MyKillTarget::user() const {
  std::lock_guard lock(mutex_);
  return user_;
}

std::shared_ptr<runtime::ClientHandle> MyKillTarget::client() const {
  std::lock_guard lock(mutex_);
  return client_.lock();
}

std::optional<mysql::ErrPacket> route_kill(const mysql::KillStatement& kill, const KillCaller& caller) {
  if (!kill.thread_id) {
    return error(mysql::error_code::ER_NOT_SUPPORTED_YET, "KILL USER and KILL QUERY ID are not supported through Sluice");
  }
  const auto id = *kill.thread_id;
  const auto found = id > UINT32_MAX ? nullptr : caller.registry.find_by_process_id(static_cast<std::uint32_t>(id));
  const auto target = std::dynamic_pointer_cast<MyKillTarget>(found);
  const std::string owner = target ? target->user() : std::string();
  if (owner.empty()) return error(ER_NO_SUCH_THREAD, "Unknown thread id: " + std::to_string(id));
  if (owner != caller.user) return error(ER_KILL_DENIED_ERROR, "You are not owner of thread " + std::to_string(id));
  spdlog::info("user={}: KILL {} {} (from connection {})", caller.user,
               kill.scope == mysql::KillScope::query ? "QUERY" : "CONNECTION", id, caller.own_connection_id);
  if (kill.scope == mysql::KillScope::connection) {
    if (auto client = target->client()) client->kill(Failure{"client_kill", "57P01", "Connection was killed"});
    return std::nullopt;
  }
  // KILL QUERY on the caller's own connection: the KILL itself is what it runs.
  if (id == caller.own_connection_id) return std::nullopt;
  if (auto client = target->client()) client->cancel_requested();
  return std::nullopt;
}

awaitable<void> kill_query(WorkerExecutor executor, std::shared_ptr<const BackendTarget> target,
                           std::uint32_t thread_id) {
  MyServerConnector side(*target);
  auto connection = side.create(executor);
  auto& killer = static_cast<MyServerConnection&>(*connection);
  if (auto opened = co_await side.open(killer); !opened) {
    spdlog::warn("KILL QUERY {} on {}:{}: {}", thread_id, target->host, target->port, opened.failure().message);
    co_return;
  }
  std::vector<std::string> commands;
  commands.push_back(com_query("KILL QUERY " + std::to_string(thread_id)));
  auto results = co_await run_backend_commands(killer, commands);
  if (!results) {
    spdlog::warn("KILL QUERY {} on {}:{} failed: {}", thread_id, target->host, target->port, results.failure().message);
  } else if ((*results)[0].error && (*results)[0].error->error_code != ER_NO_SUCH_THREAD) {
    // 1094: the thread ended meanwhile (its client left, the backend closed): nothing to stop.
    spdlog::warn("KILL QUERY {} on {}:{} failed: {} {}", thread_id, target->host, target->port,
                 (*results)[0].error->error_code, (*results)[0].error->error_message);
  }
  killer.say_goodbye();
}

}  // namespace sluice::session
