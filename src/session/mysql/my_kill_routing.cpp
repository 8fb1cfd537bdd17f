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

void MyKillTarget::set_backend(std::optional<Backend> backend) {
  std::unique_lock lock(mutex_);
  backend_.swap(backend);
  lock.unlock();  // the old backend's target, if this held its last reference, is freed outside the lock
}

std::optional<MyKillTarget::Backend> MyKillTarget::backend() const {
  std::lock_guard lock(mutex_);
  return backend_;
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
  const auto backend = target->backend();
  if (!backend) return std::nullopt;  // between statements: nothing runs
  std::weak_ptr<MyKillTarget> watched = target;
  auto same_backend = [watched, thread_id = backend->thread_id] {
    const auto now = watched.lock();
    const auto held = now ? now->backend() : std::nullopt;
    return held && held->thread_id == thread_id;
  };
  asio::co_spawn(caller.executor, kill_query(caller.executor, backend->target, backend->thread_id, same_backend),
                 asio::detached);
  return std::nullopt;
}

awaitable<void> kill_query(asio::any_io_executor executor, std::shared_ptr<const BackendTarget> target,
                           std::uint32_t thread_id, std::function<bool()> still_wanted) {
  MyServerConnector side(*target);
  auto connection = side.create(executor);
  auto& killer = static_cast<MyServerConnection&>(*connection);
  if (auto opened = co_await side.open(killer); !opened) {
    spdlog::warn("KILL QUERY {} on {}:{}: {}", thread_id, target->host, target->port, opened.failure().message);
    co_return;
  }
  if (!still_wanted || still_wanted()) {
    std::vector<std::string> commands;
    commands.push_back(com_query("KILL QUERY " + std::to_string(thread_id)));
    auto results = co_await run_backend_commands(killer, commands);
    if (!results || (*results)[0].error) spdlog::warn("KILL QUERY {} on {}:{} failed", thread_id, target->host, target->port);
  }
  killer.say_goodbye();
}

}  // namespace sluice::session
