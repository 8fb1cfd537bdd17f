#include "sluice/session/postgres/pg_auth_query.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "sluice/protocol/postgres/auth_query.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/session/postgres/pg_io.hpp"
#include "sluice/session/postgres/pg_server.hpp"

namespace sluice::session {

namespace {
// A client can name any user: the cache must not grow with what strangers type.
constexpr std::size_t kCacheCapacity = 10000;
// Lookups are short and rare (cached): two backends per database serve a login storm.
constexpr int kLookupPoolSize = 2;
constexpr std::size_t kMaxReplyMessage = 64 * 1024;
// One row is the only good answer; a second proves the query wrong, more need not be kept.
constexpr std::size_t kMaxRowsKept = 2;

using OwnedRow = std::vector<std::optional<std::string>>;

struct QueryReply {
  std::vector<OwnedRow> rows;
  std::optional<std::string> error;  // the server's ErrorResponse or an I/O failure
};

OwnedRow own(const pg::DataRowValues& values) {
  OwnedRow row;
  for (const auto& value : values) row.push_back(value ? std::optional<std::string>(*value) : std::nullopt);
  return row;
}

// Reads the replies up to ReadyForQuery; DataRows are kept, everything else but errors skipped.
awaitable<Status> read_reply(PgServerConnection& server, QueryReply& reply) {
  std::string buffer;
  const Failure lost = server_lost();
  for (;;) {
    auto message = co_await read_pg_message(server.stream(), buffer, kMaxReplyMessage, lost);
    if (!message) co_return message.failure();
    const auto body = as_bytes(message->body);
    if (message->type == pg::backend::DataRow) {
      auto values = pg::read_auth_query_row(body);
      if (!values) co_return protocol_violation("malformed DataRow in the auth_query reply");
      if (reply.rows.size() < kMaxRowsKept) reply.rows.push_back(own(*values));
    } else if (message->type == pg::backend::ErrorResponse) {
      auto fields = pg::read_error_fields(body);
      reply.error = fields ? fields->message : std::string("malformed ErrorResponse");
    } else if (message->type == pg::backend::ReadyForQuery) {
      co_return ok_status();
    }
  }
}

awaitable<auth::AuthQueryResult> run_lookup(pool::ServerPool& pool, const std::string& query, std::string user) {
  auth::AuthQueryResult failed;
  auto lease = co_await pool.acquire(co_await asio::this_coro::executor);
  if (!lease) {
    failed.error = lease.failure().message;
    co_return failed;
  }
  auto& server = static_cast<PgServerConnection&>(lease->connection());
  std::string out;
  if (!pg::write_auth_query(out, query, user)) {
    lease->release();
    failed.error = "the user name cannot be sent as a parameter";
    co_return failed;
  }
  QueryReply reply;
  const Failure lost = server_lost();
  auto sent = co_await write_all(server.stream(), out, lost);
  if (!sent) {
    failed.error = sent.failure().message;
    co_return failed;  // the lease closes the backend: its state is unknown
  }
  auto read = co_await read_reply(server, reply);
  if (!read) {
    failed.error = read.failure().message;
    co_return failed;
  }
  lease->release();
  if (reply.error) {
    failed.error = "auth_query failed: " + *reply.error;
    co_return failed;
  }
  std::vector<auth::AuthQueryRow> rows;
  for (const auto& row : reply.rows) {
    auto& view = rows.emplace_back();
    for (const auto& value : row) view.push_back(value ? std::optional<std::string_view>(*value) : std::nullopt);
  }
  co_return auth::credential_from_rows(rows, user);
}
}  // namespace

awaitable<std::optional<auth::Credential>> PgAuthQuery::find(const config::ProxyConfig& config,
                                                             const config::DatabaseConfig& database,
                                                             std::string_view user) {
  if (!config.auth_query || user.empty()) co_return std::nullopt;
  const auto& settings = *config.auth_query;
  std::shared_ptr<pool::ServerPool> pool;
  {
    std::lock_guard lock(mutex_);
    follow_settings(settings);
    if (auto cached = cache_->find(user, Clock::now())) co_return cached;
    pool = pool_for(config, database);
  }
  if (!pool) co_return std::nullopt;
  const std::string name(user);
  auto result = co_await run_lookup(*pool, settings.query, name);
  if (result.status != auth::AuthQueryStatus::found) {
    // The name is the client's to choose: logged, but the row's password never is.
    if (!result.error.empty()) spdlog::warn("auth_query for user={}: {}", name, result.error);
    co_return std::nullopt;
  }
  std::lock_guard lock(mutex_);
  follow_settings(settings);
  cache_->store(name, *result.credential, Clock::now());
  co_return std::move(result.credential);
}

void PgAuthQuery::forget(std::string_view user) {
  std::lock_guard lock(mutex_);
  if (cache_) cache_->forget(user);
}

void PgAuthQuery::apply(const config::ProxyConfig& config) {
  std::lock_guard lock(mutex_);
  drop_pools();
  if (config.auth_query) follow_settings(*config.auth_query);
}

void PgAuthQuery::sweep(TimePoint now) {
  std::lock_guard lock(mutex_);
  for (const auto& [name, pool] : pools_) pool->sweep(now);
}

void PgAuthQuery::follow_settings(const config::AuthQueryConfig& settings) {
  if (cache_ && settings_ == settings) return;
  settings_ = settings;
  cache_ = std::make_unique<auth::CredentialCache>(settings.cache_ttl, kCacheCapacity);
  drop_pools();
}

void PgAuthQuery::drop_pools() {
  for (const auto& [name, pool] : pools_) {
    pool->close_to_new_clients(Failure{"database_removed", "", "auth_query settings changed"});
    pool->close_idle();
  }
  pools_.clear();
}

// (auth_query.database or the client's, auth_query.user): a pool outside the registry, so no
// client is ever handed one of its backends.
std::shared_ptr<pool::ServerPool> PgAuthQuery::pool_for(const config::ProxyConfig& config,
                                                        const config::DatabaseConfig& database) {
  const auto* target = settings_->database ? config.find_database(*settings_->database) : &database;
  if (target == nullptr || target->protocol != config::Protocol::postgres) {
    spdlog::warn("auth_query.database {} is not a PostgreSQL database", settings_->database.value_or(database.name));
    return nullptr;
  }
  if (auto found = pools_.find(target->name); found != pools_.end()) return found->second;
  const auto* user = config.find_user(settings_->user);
  auto pool_settings = config.resolve(*target, user);
  pool_settings.pool_size = kLookupPoolSize;
  pool_settings.min_pool_size = 0;
  pool_settings.reserve_pool_size = 0;
  auto pool = std::make_shared<pool::ServerPool>(pool::PoolKey{target->name, settings_->user},
                                                 factory_(*target, user, settings_->user, pool_settings), pool_settings,
                                                 std::make_shared<pool::ConnectionCap>(0),
                                                 std::make_shared<pool::ConnectionCap>(0));
  pools_.emplace(target->name, pool);
  return pool;
}

}  // namespace sluice::session
