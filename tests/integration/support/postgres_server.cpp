#include "postgres_server.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "net.hpp"
#include "pg.hpp"

namespace sluice_it {
namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(30);
constexpr auto kInitdbTimeout = std::chrono::seconds(120);
constexpr auto kStopGrace = std::chrono::seconds(10);

const char* const kPgHba =
    "local all all trust\n"
    // md5user's password is stored as md5, which a scram-sha-256 line would refuse.
    "host all md5user 127.0.0.1/32 md5\n"
    "host all all 127.0.0.1/32 scram-sha-256\n";

// One statement at a time: CREATE DATABASE may not run inside the implicit multi-statement txn.
// They share one session (SET applies to the next CREATE ROLE).
const std::vector<std::string> kSetupStatements = {
    "CREATE ROLE app LOGIN PASSWORD 'app'",
    "CREATE ROLE alice LOGIN PASSWORD 'alice'",
    "CREATE ROLE bob LOGIN PASSWORD 'bob'",
    "SET password_encryption = 'md5'",
    "CREATE ROLE md5user LOGIN PASSWORD 'md5pass'",
    "RESET password_encryption",
    "CREATE ROLE trustless LOGIN",
    "CREATE DATABASE app OWNER app",
    "CREATE DATABASE app2 OWNER app",
};

// Run inside database `app`: PostgreSQL 15 no longer lets everyone create in schema public.
const std::vector<std::string> kAppDatabaseStatements = {
    "GRANT ALL ON SCHEMA public TO alice, bob, md5user",
};

std::string bin(const std::string& name) { return std::string(kPostgresBinDir) + "/" + name; }

// Hands `path` (recursively) to the postgres OS user when we are root.
void give_to_postgres_user(const std::string& path) {
    if (geteuid() != 0) return;
    passwd* user = getpwnam("postgres");
    if (user == nullptr) throw std::runtime_error("running as root but there is no `postgres` OS user");
    if (chown(path.c_str(), user->pw_uid, user->pw_gid) != 0) {
        throw std::runtime_error("chown " + path + " to postgres failed");
    }
    if (!std::filesystem::is_directory(path)) return;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (chown(entry.path().c_str(), user->pw_uid, user->pw_gid) != 0) {
            throw std::runtime_error("chown " + entry.path().string() + " to postgres failed");
        }
    }
}

std::string socket_conninfo(const std::string& socket_dir, int port, const std::string& database) {
    return "host=" + socket_dir + " port=" + std::to_string(port) + " user=postgres dbname=" + database +
           " application_name=sluice-it-direct";
}

[[noreturn]] void fail_with_log(const std::string& what, const std::string& log_path) {
    throw std::runtime_error("PostgreSQL test server: " + what + "\n--- " + log_path + " ---\n" +
                             tail_of_file(log_path));
}

// initdb + pg_hba.conf in `data_dir` (its parent already belongs to the postgres user).
void init_data_dir(const std::string& data_dir) {
    std::vector<std::string> argv = as_postgres_user_prefix(0);
    std::vector<std::string> initdb = {bin("initdb"), "-D", data_dir, "-U", "postgres",
                                       "-E", "UTF8", "--locale=C", "--auth-local=trust",
                                       "--auth-host=scram-sha-256", "--no-sync",
                                       "--no-instructions"};
    argv.insert(argv.end(), initdb.begin(), initdb.end());
    CommandResult result = run_command(argv, {}, kInitdbTimeout);
    if (result.exit_code != 0) {
        throw std::runtime_error("initdb failed (exit " + std::to_string(result.exit_code) + "):\n" +
                                 result.output);
    }
    write_file(data_dir + "/pg_hba.conf", kPgHba);
    give_to_postgres_user(data_dir + "/pg_hba.conf");
}

// Starts postgres on 127.0.0.1:port (and a unix socket in socket_dir), as the postgres user.
ChildProcess start_postgres(const std::string& data_dir, const std::string& socket_dir, int port,
                            const std::string& log_path, const std::vector<std::string>& extra_settings = {}) {
    std::vector<std::string> argv = as_postgres_user_prefix(SIGQUIT);
    argv.push_back(bin("postgres"));
    argv.insert(argv.end(), {"-D", data_dir});
    const std::vector<std::string> settings = {
        "listen_addresses=127.0.0.1", "port=" + std::to_string(port),
        "unix_socket_directories=" + socket_dir, "max_connections=300", "fsync=off",
        "synchronous_commit=off", "full_page_writes=off", "shared_buffers=32MB",
        "password_encryption=scram-sha-256", "logging_collector=off"};
    for (const auto& setting : settings) argv.insert(argv.end(), {"-c", setting});
    for (const auto& setting : extra_settings) argv.insert(argv.end(), {"-c", setting});
    // Without `setpriv` (not root) the fork child sets the death signal itself.
    return ChildProcess(SpawnOptions{argv, log_path, {}, geteuid() == 0 ? 0 : SIGQUIT});
}

void wait_until_ready(ChildProcess& process, const std::string& conninfo, const std::string& log_path) {
    auto deadline = Clock::now() + kReadyTimeout;
    std::string ping = conninfo + " connect_timeout=2";
    while (PQping(ping.c_str()) != PQPING_OK) {
        if (!process.running()) fail_with_log("postgres exited during startup", log_path);
        if (Clock::now() >= deadline) fail_with_log("not ready after 30 s", log_path);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void create_roles_and_databases(const std::string& socket_dir, int port) {
    Connection setup = connect(socket_conninfo(socket_dir, port, "postgres"));
    for (const auto& sql : kSetupStatements) exec_ok(setup, sql);
    Connection app = connect(socket_conninfo(socket_dir, port, "app"));
    for (const auto& sql : kAppDatabaseStatements) exec_ok(app, sql);
}

// The template data directory: initdb + setup done once, shut down cleanly, then copied by
// every later test process (initdb and CREATE DATABASE cost seconds; a copy costs little).
// Its name changes whenever the setup does.
std::string template_path() {
    std::string recipe = kPgHba;
    for (const auto& sql : kSetupStatements) recipe += sql + ";";
    for (const auto& sql : kAppDatabaseStatements) recipe += sql + ";";
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016zx", std::hash<std::string>{}(recipe));
    return "/tmp/sluice-it-pgtemplate-" + std::to_string(geteuid()) + "-" + hash;
}

bool template_complete(const std::string& path) {
    return std::filesystem::exists(path + "/complete") && std::filesystem::exists(path + "/data/PG_VERSION");
}

// Builds the template in a staging directory and renames it into place (atomic; if another
// process won the race its template is used and ours is dropped).
void build_template(const std::string& path) {
    std::string staging = path + "-staging-" + std::to_string(getpid());
    std::filesystem::remove_all(staging);
    std::filesystem::create_directories(staging);
    give_to_postgres_user(staging);
    std::string log_path = staging + "/postgres.log";
    try {
        init_data_dir(staging + "/data");
        int port = pick_free_port();
        ChildProcess server = start_postgres(staging + "/data", staging, port, log_path);
        wait_until_ready(server, socket_conninfo(staging, port, "postgres"), log_path);
        create_roles_and_databases(staging, port);
        // Fast shutdown ends with a checkpoint: the copy starts without recovery.
        if (server.stop(SIGINT, kStopGrace) != 0) fail_with_log("template server did not stop cleanly", log_path);
        write_file(staging + "/complete", "ok\n");
    } catch (...) {
        std::filesystem::remove_all(staging);
        throw;
    }
    if (std::rename(staging.c_str(), path.c_str()) != 0) std::filesystem::remove_all(staging);
}

// Copies the template's data directory to `data_dir`, keeping owners and modes.
void copy_template(const std::string& template_dir, const std::string& data_dir) {
    CommandResult copy = run_command({"/bin/cp", "-a", template_dir + "/data", data_dir}, {}, std::chrono::seconds(60));
    if (copy.exit_code != 0) throw std::runtime_error("copying the PostgreSQL template failed:\n" + copy.output);
}

std::mutex shared_mutex;
std::unique_ptr<PostgresServer> shared_server;

}  // namespace

PostgresServer::PostgresServer() : dir_("sluice-it-pg") {
    data_dir_ = dir_.file("data");
    log_path_ = dir_.file("postgres.log");
    give_to_postgres_user(dir_.path());
    std::string template_dir = template_path();
    if (!template_complete(template_dir)) build_template(template_dir);
    copy_template(template_dir, data_dir_);
    port_ = pick_free_port();
    process_ = start_postgres(data_dir_, dir_.path(), port_, log_path_);
    wait_until_ready(process_, superuser_conninfo(), log_path_);
}

PostgresServer::PostgresServer(const PostgresSetup& setup) : dir_("sluice-it-pg") {
    data_dir_ = dir_.file("data");
    log_path_ = dir_.file("postgres.log");
    extra_settings_ = setup.settings;
    give_to_postgres_user(dir_.path());
    std::string template_dir = template_path();
    if (!template_complete(template_dir)) build_template(template_dir);
    copy_template(template_dir, data_dir_);
    if (!setup.hba.empty()) write_file(data_dir_ + "/pg_hba.conf", setup.hba);
    for (const auto& [name, source] : setup.files) {
        std::filesystem::copy_file(source, data_dir_ + "/" + name, std::filesystem::copy_options::overwrite_existing);
        std::filesystem::permissions(data_dir_ + "/" + name, std::filesystem::perms::owner_read |
                                                                 std::filesystem::perms::owner_write);
    }
    give_to_postgres_user(data_dir_);
    port_ = pick_free_port();
    process_ = start_postgres(data_dir_, dir_.path(), port_, log_path_, extra_settings_);
    wait_until_ready(process_, superuser_conninfo(), log_path_);
}

PostgresServer::~PostgresServer() {
    // SIGINT = fast shutdown: disconnects remaining clients (such as a killed Sluice's backends).
    if (process_.pid() > 0) process_.stop(SIGINT, kStopGrace);
}

std::string PostgresServer::superuser_conninfo(const std::string& database) const {
    return socket_conninfo(dir_.path(), port_, database);
}

std::string PostgresServer::direct_conninfo(const std::string& user, const std::string& password,
                                            const std::string& database) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + user + " password=" +
           password + " dbname=" + database + " sslmode=disable gssencmode=disable";
}

std::vector<std::string> PostgresServer::psql_command(const std::string& database) const {
    return {bin("psql"), "-X", "-At", "-h", dir_.path(), "-p", std::to_string(port_),
            "-U", "postgres", "-d", database};
}

int PostgresServer::count_backends(const std::string& user, const std::string& database) const {
    Connection direct = connect(superuser_conninfo());
    PgResult result = exec_params(direct,
                                  "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 "
                                  "AND datname = $2 AND backend_type = 'client backend'",
                                  {user, database});
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
        throw std::runtime_error("count_backends: " + describe(result.get()));
    }
    return std::stoi(PQgetvalue(result.get(), 0, 0));
}

std::string PostgresServer::query(const std::string& sql, const std::string& database) const {
    Connection direct = connect(superuser_conninfo(database));
    return query_optional(direct, sql).value_or("");
}

void PostgresServer::execute(const std::string& sql, const std::string& database) const {
    Connection direct = connect(superuser_conninfo(database));
    exec_ok(direct, sql);
}

int PostgresServer::count_client_backends(const std::string& database) const {
    Connection direct = connect(superuser_conninfo());
    PgResult result = exec_params(direct,
                                  "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 "
                                  "AND usename <> 'postgres' AND backend_type = 'client backend'",
                                  {database});
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
        throw std::runtime_error("count_client_backends: " + describe(result.get()));
    }
    return std::stoi(PQgetvalue(result.get(), 0, 0));
}

void PostgresServer::stop(const std::string& mode) {
    int signal = 0;
    if (mode == "smart") signal = SIGTERM;
    if (mode == "fast") signal = SIGINT;
    if (mode == "immediate") signal = SIGQUIT;
    if (signal == 0) throw std::invalid_argument("PostgresServer::stop: unknown mode " + mode);
    if (!process_.running()) return;
    // The postmaster is the child itself (setpriv execs it), so the signal reaches it directly.
    process_.stop(signal, kStopGrace);
}

void PostgresServer::start() {
    if (process_.running()) return;
    process_ = start_postgres(data_dir_, dir_.path(), port_, log_path_, extra_settings_);
    wait_until_ready(process_, superuser_conninfo(), log_path_);
}

void PostgresServer::restart(const std::string& mode) {
    stop(mode);
    start();
}

bool PostgresServer::running() { return process_.running(); }

PostgresServer& postgres() {
    std::lock_guard lock(shared_mutex);
    if (!shared_server) {
        shared_server = std::make_unique<PostgresServer>();
        std::atexit(stop_shared_postgres);
    }
    return *shared_server;
}

void stop_shared_postgres() {
    std::lock_guard lock(shared_mutex);
    shared_server.reset();
}

}  // namespace sluice_it
