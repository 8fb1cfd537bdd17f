// Prometheus metrics end to end: a real Prometheus server scrapes a Sluice whose pool is
// saturated and its query API returns the pool's state; promtool accepts the exposition,
// the alert rules and their unit tests; no metric or log line carries a password.
//
// Needs Debian's `prometheus` package (it ships promtool too). Without it these tests fail.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "sluice/metrics/metric_list.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

constexpr int kPoolSize = 2;
constexpr int kLoadClients = 6;
const std::string kSourceDir = SLUICE_SOURCE_DIR;
const std::string kAlertsFile = kSourceDir + "/docs/prometheus/alerts.yaml";
const std::string kAlertsTestFile = kSourceDir + "/docs/prometheus/alerts_test.yaml";
const std::string kDashboardFile = kSourceDir + "/docs/grafana/sluice.json";
const std::string kRunbookFile = kSourceDir + "/docs/runbook.md";

// Skipping is not passing: a missing tool fails the test and says what to install.
std::string require_program(const std::string& program) {
    const auto path = find_program(program);
    if (path.empty()) {
        FAIL(program << " is not installed: the [metrics] tests need Debian's `prometheus` package "
                        "(apt-get install prometheus), which ships prometheus and promtool");
    }
    return path;
}

std::string url_encode(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// Every sample value of an instant-vector answer of Prometheus's query API:
// {"status":"success","data":{"resultType":"vector","result":[{"metric":{..},"value":[ts,"v"]}]}}
std::vector<double> vector_values(const std::string& json) {
    std::vector<double> values;
    static const std::regex value_pattern(R"re("value":\[[0-9.e+]+,"([^"]+)"\])re");
    for (std::sregex_iterator it(json.begin(), json.end(), value_pattern), end; it != end; ++it) {
        values.push_back(std::stod((*it)[1].str()));
    }
    return values;
}

// Clients that keep a small pool saturated: each runs pg_sleep in a loop until stopped.
class SaturatingLoad {
public:
    SaturatingLoad(const std::string& conninfo, int clients) {
        for (int i = 0; i < clients; ++i) {
            threads_.emplace_back([this, conninfo] {
                try {
                    Connection conn = connect(conninfo, 60s);
                    while (!stop_.load()) {
                        PgResult result = exec(conn, "select pg_sleep(0.5)", 60s);
                        if (!succeeded(result.get())) errors_.fetch_add(1);
                    }
                } catch (const std::exception&) {
                    errors_.fetch_add(1);
                }
            });
        }
    }
    SaturatingLoad(const SaturatingLoad&) = delete;
    SaturatingLoad& operator=(const SaturatingLoad&) = delete;
    ~SaturatingLoad() { stop(); }

    void stop() {
        stop_.store(true);
        for (auto& thread : threads_) {
            if (thread.joinable()) thread.join();
        }
    }
    int errors() const { return errors_.load(); }

private:
    std::atomic<bool> stop_{false};
    std::atomic<int> errors_{0};
    std::vector<std::thread> threads_;
};

// A real Prometheus server scraping 127.0.0.1:target_port every second, with alerts.yaml
// loaded, its data in a temp dir. Its log is printed if the test fails.
class PrometheusServer {
public:
    PrometheusServer(const std::string& binary, int target_port) : dir_("sluice-it-prometheus") {
        port_ = pick_free_port();
        log_path_ = dir_.file("prometheus.log");
        write_file(dir_.file("prometheus.yml"),
                   "global:\n"
                   "  scrape_interval: 1s\n"
                   "  scrape_timeout: 1s\n"
                   "  evaluation_interval: 1s\n"
                   "rule_files:\n"
                   "  - " + kAlertsFile + "\n"
                   "scrape_configs:\n"
                   "  - job_name: sluice\n"
                   "    static_configs:\n"
                   "      - targets: ['127.0.0.1:" + std::to_string(target_port) + "']\n");
        process_ = ChildProcess(SpawnOptions{{binary, "--config.file=" + dir_.file("prometheus.yml"),
                                              "--storage.tsdb.path=" + dir_.file("data"),
                                              "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                                             log_path_, {}, SIGKILL});
    }
    PrometheusServer(const PrometheusServer&) = delete;
    PrometheusServer& operator=(const PrometheusServer&) = delete;
    ~PrometheusServer() {
        if (current_test_failed() || std::uncaught_exceptions() > 0) {
            std::cerr << "---- prometheus log ----\n" << tail_of_file(log_path_) << "\n---- end ----\n";
        }
        process_.stop(SIGTERM, 5s);
    }

    bool wait_ready(std::chrono::seconds timeout) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            if (!process_.running()) return false;
            if (http_get(port_, "/-/ready", 2s).status == 200) return true;
            std::this_thread::sleep_for(200ms);
        }
        return false;
    }

    HttpResponse query(const std::string& promql) {
        return http_get(port_, "/api/v1/query?query=" + url_encode(promql));
    }
    HttpResponse get(const std::string& target) { return http_get(port_, target); }

    // Polls `promql` until its first value satisfies `accept`; returns the last answer.
    template <class Accept>
    std::optional<double> eventually(const std::string& promql, Accept accept,
                                     std::chrono::seconds timeout = 60s) {
        const auto deadline = Clock::now() + timeout;
        std::optional<double> last;
        while (Clock::now() < deadline) {
            const auto answer = query(promql);
            // A query Prometheus cannot parse is a bug in the test: say so at once.
            if (answer.status == 400) FAIL("Prometheus rejected " << promql << ": " << answer.body);
            const auto values = vector_values(answer.body);
            if (!values.empty()) {
                last = values.front();
                if (accept(*last)) return last;
            }
            std::this_thread::sleep_for(500ms);
        }
        return last;
    }

private:
    TempDir dir_;
    int port_ = 0;
    std::string log_path_;
    ChildProcess process_;
};

// Every PromQL expression of the Grafana dashboard (the JSON's "expr" strings, unescaped).
std::vector<std::string> dashboard_expressions() {
    const auto json = read_file(kDashboardFile);
    std::vector<std::string> expressions;
    const std::string key = "\"expr\": \"";
    for (auto at = json.find(key); at != std::string::npos; at = json.find(key, at)) {
        std::string expr;
        for (at += key.size(); at < json.size() && json[at] != '"'; ++at) {
            if (json[at] == '\\' && at + 1 < json.size()) ++at;
            expr += json[at];
        }
        expressions.push_back(expr);
    }
    return expressions;
}

// Grafana's variables, as Prometheus needs them: every instance, database and user.
std::string without_grafana_variables(std::string expr) {
    expr = std::regex_replace(expr, std::regex(R"(\$__rate_interval)"), "1m");
    return std::regex_replace(expr, std::regex(R"(\$(instance|database|user))"), ".*");
}

}  // namespace

TEST_CASE("Prometheus scrapes a saturated pool and sees its clients waiting", "[metrics]") {
    const auto prometheus = require_program("prometheus");
    const auto promtool = require_program("promtool");

    const int metrics_port = pick_free_port();
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: " + std::to_string(kPoolSize) + "\nquery_wait_timeout: 60s";
    SluiceProcess sluice([&](int port) { return with_metrics_listener(sluice_config(port, options), metrics_port); });
    REQUIRE(wait_for_metrics(metrics_port));

    SaturatingLoad load(sluice.conninfo("app", "app"), kLoadClients);

    // Sluice's own exposition shows the saturation before any Prometheus is involved.
    const std::string waiting_series = R"(sluice_client_connections{database="app",user="app",state="waiting"})";
    std::string exposition;
    std::optional<double> waiting;
    for (const auto deadline = Clock::now() + 20s; Clock::now() < deadline; std::this_thread::sleep_for(200ms)) {
        const auto response = http_get(metrics_port, "/metrics");
        REQUIRE(response.status == 200);
        exposition = response.body;
        waiting = exposition_value(exposition, waiting_series);
        if (waiting && *waiting > 0) break;
    }
    INFO(exposition);
    REQUIRE(waiting);
    CHECK(*waiting > 0);
    CHECK(exposition_value(exposition, R"(sluice_server_connections{database="app",user="app",state="active"})") ==
          kPoolSize);
    CHECK(exposition_value(exposition, R"(sluice_pool_size{database="app",user="app"})") == kPoolSize);

    // promtool check metrics accepts the exposition (names, types, help, units).
    {
        TempDir dir("sluice-it-metrics");
        write_file(dir.file("metrics.txt"), exposition);
        const auto checked =
            run_command({"/bin/sh", "-c", "'" + promtool + "' check metrics < '" + dir.file("metrics.txt") + "'"});
        INFO(checked.output);
        CHECK(checked.exit_code == 0);
    }

    // A real Prometheus server scrapes it and answers queries with the pool's state.
    {
        PrometheusServer server(prometheus, metrics_port);
        REQUIRE(server.wait_ready(60s));
        const std::string pool = R"(job="sluice",database="app",user="app")";

        const auto positive = [](double v) { return v > 0; };
        const auto pool_size = [](double v) { return v == kPoolSize; };
        const auto waiting_seen = server.eventually("sum(sluice_client_connections{" + pool + R"(,state="waiting"}))",
                                                    positive);
        INFO("targets: " << server.get("/api/v1/targets").body);
        REQUIRE(waiting_seen);
        CHECK(*waiting_seen > 0);
        CHECK(server.eventually("sluice_server_connections{" + pool + R"(,state="active"})", pool_size) == kPoolSize);
        CHECK(server.eventually("sluice_pool_size{" + pool + "}", pool_size) == kPoolSize);
        for (const char* metric : {"sluice_client_wait_longest_seconds", "sluice_client_wait_seconds_count",
                                   "sluice_transaction_duration_seconds_count", "sluice_transactions_total",
                                   "sluice_queries_total", "sluice_client_received_bytes_total",
                                   "sluice_client_sent_bytes_total", "sluice_server_connections_opened_total",
                                   "sluice_client_logins_total"}) {
            INFO(metric);
            CHECK(server.eventually(std::string(metric) + "{" + pool + "}", positive) > 0);
        }
        CHECK(server.eventually(R"(sluice_build_info{job="sluice"})", [](double v) { return v == 1; }) == 1);
        CHECK(server.eventually(R"(up{job="sluice"})", [](double v) { return v == 1; }) == 1);

        // The alert rules load in a real server and evaluate without error.
        HttpResponse rules;
        for (const auto deadline = Clock::now() + 20s; Clock::now() < deadline; std::this_thread::sleep_for(500ms)) {
            rules = server.get("/api/v1/rules");
            if (rules.body.find(R"("health":"unknown")") == std::string::npos) break;
        }
        INFO(rules.body);
        CHECK(rules.status == 200);
        CHECK(rules.body.find("SluicePoolExhausted") != std::string::npos);
        CHECK(rules.body.find(R"("health":"ok")") != std::string::npos);
        CHECK(rules.body.find(R"("health":"err")") == std::string::npos);
        // Every dashboard query parses and runs.
        const auto expressions = dashboard_expressions();
        CHECK(expressions.size() > 10);
        for (const auto& expr : expressions) {
            const auto answer = server.query(without_grafana_variables(expr));
            INFO(expr << "\n" << answer.body);
            CHECK(answer.status == 200);
            CHECK(answer.body.find(R"("status":"success")") != std::string::npos);
        }
    }

    load.stop();
    CHECK(load.errors() == 0);
}

TEST_CASE("promtool accepts the alert rules and proves the exhaustion alert", "[metrics]") {
    const auto promtool = require_program("promtool");
    const auto checked = run_command({promtool, "check", "rules", kAlertsFile});
    INFO(checked.output);
    CHECK(checked.exit_code == 0);
    // alerts_test.yaml: the exhaustion alert fires on a saturated pool and not on a healthy one
    // (plus one test per other alert).
    const auto tested = run_command({promtool, "test", "rules", kAlertsTestFile});
    INFO(tested.output);
    CHECK(tested.exit_code == 0);
    CHECK(tested.output.find("SUCCESS") != std::string::npos);
}

TEST_CASE("alerts and dashboard and runbook use only metrics Sluice exports", "[metrics]") {
    std::set<std::string> exported;
    for (const auto& family : sluice::metrics::kFamilies) {
        const std::string name(family.name);
        exported.insert(name);
        if (family.type == prometheus::MetricType::Histogram) {
            for (const char* suffix : {"_bucket", "_sum", "_count"}) exported.insert(name + suffix);
        }
    }
    static const std::regex metric_name(R"(\bsluice_[a-z_]+[a-z])");
    for (const auto& file : {kAlertsFile, kAlertsTestFile, kDashboardFile, kRunbookFile}) {
        const auto text = read_file(file);
        int found = 0;
        for (std::sregex_iterator it(text.begin(), text.end(), metric_name), end; it != end; ++it, ++found) {
            const auto name = it->str();
            INFO(file << " uses " << name);
            // The runbook's table writes `sluice_x[_max]` for two names at once.
            CHECK((exported.count(name) == 1 || exported.count(name + "_max") == 1));
        }
        INFO(file);
        CHECK(found > 3);
    }
}

TEST_CASE("no metric or log line contains a password", "[metrics]") {
    // A password that appears nowhere else: for a user, and for a database's forced login.
    const std::string secret = "Sluice-Secret-4c1e9a7b0d";
    postgres().execute("DROP ROLE IF EXISTS metrics_secret");
    postgres().execute("CREATE ROLE metrics_secret LOGIN PASSWORD " + sql_literal(secret));

    const int metrics_port = pick_free_port();
    SluiceOptions options;
    options.top_level = "log_level: debug";
    options.users.push_back({"metrics_secret", secret, ""});
    options.extra_databases = "forced:\n  host: 127.0.0.1\n  port: " + std::to_string(postgres().port()) +
                              "\n  dbname: app\n  user: metrics_secret\n  password: \"" + secret + "\"\n";
    const auto make_config = [&](int port) {
        return with_metrics_listener(sluice_config(port, options), metrics_port);
    };
    SluiceProcess sluice(make_config);
    REQUIRE(wait_for_metrics(metrics_port));

    // Logins with the secret (user password, forced database password), a wrong password,
    // and the secret sent as another user's password.
    {
        Connection as_secret_user = connect(sluice.conninfo("metrics_secret", secret));
        CHECK(query_value(as_secret_user, "select current_user") == "metrics_secret");
        Connection forced = connect(sluice.conninfo("app", "app", "forced"));
        CHECK(query_value(forced, "select current_user") == "metrics_secret");
        CHECK_FALSE(try_connect(sluice.conninfo("metrics_secret", "wrong-password")).ok());
        CHECK_FALSE(try_connect(sluice.conninfo("alice", secret)).ok());
    }

    // A rejected reload of a file holding the secret, then a good one.
    const auto valid = make_config(sluice.port());
    sluice.write_config(valid + "  metrics_secret_typo:\n    password: \"" + secret + "\"\n    pool_size: lots\n");
    sluice.reload();
    const auto wait_for_log = [&](const std::string& text) {
        for (const auto deadline = Clock::now() + 10s; Clock::now() < deadline; std::this_thread::sleep_for(100ms)) {
            if (sluice.log().find(text) != std::string::npos) return true;
        }
        return false;
    };
    CHECK(wait_for_log("reload rejected"));
    sluice.write_config(valid);
    sluice.reload();
    CHECK(wait_for_log("configuration reloaded"));

    const auto metrics = http_get(metrics_port, "/metrics");
    REQUIRE(metrics.status == 200);
    // The grep is meaningful: the user and the reloads are there, the secret is not.
    CHECK(metrics.body.find(R"(user="metrics_secret")") != std::string::npos);
    CHECK(exposition_value(metrics.body, R"(sluice_config_reloads_total{result="failure"})") == 1);
    CHECK(exposition_value(metrics.body, R"(sluice_config_reloads_total{result="success"})") == 1);
    CHECK(exposition_value(metrics.body, R"(sluice_client_disconnects_total{reason="auth_failed"})") == 2);
    CHECK(metrics.body.find(secret) == std::string::npos);

    const auto log = sluice.log();
    CHECK(log.find("user=metrics_secret") != std::string::npos);
    CHECK(log.find(secret) == std::string::npos);
}

TEST_CASE("timeouts and cap refusals and disconnects are counted by kind", "[metrics]") {
    const int metrics_port = pick_free_port();
    SluiceOptions options;
    options.users = {{"app", "app", "pool_size: 1\nquery_wait_timeout: 1s"},
                     {"alice", "alice", "statement_timeout: 300ms"},
                     {"bob", "bob", "max_client_connections: 1"}};
    SluiceProcess sluice([&](int port) { return with_metrics_listener(sluice_config(port, options), metrics_port); });
    REQUIRE(wait_for_metrics(metrics_port));

    // statement_timeout cancels the statement; the client stays.
    Connection alice = connect(sluice.conninfo("alice", "alice"));
    CHECK(sqlstate(exec(alice, "select pg_sleep(5)").get()) == "57014");
    CHECK(query_value(alice, "select 1") == "1");

    // query_wait_timeout: the only backend of app's pool is held by an open transaction.
    Connection holder = connect(sluice.conninfo("app", "app"));
    exec_ok(holder, "begin");
    Connection waiter = connect(sluice.conninfo("app", "app"));
    CHECK(sqlstate(exec(waiter, "select 1").get()) == "57014");

    // users.max_client_connections: bob may have one client.
    Connection bob = connect(sluice.conninfo("bob", "bob"));
    CHECK_FALSE(try_connect(sluice.conninfo("bob", "bob")).ok());

    std::string metrics;
    const auto counted = [&](const std::string& series) { return exposition_value(metrics, series).value_or(-1); };
    for (const auto deadline = Clock::now() + 10s; Clock::now() < deadline; std::this_thread::sleep_for(100ms)) {
        metrics = http_get(metrics_port, "/metrics").body;
        if (counted(R"(sluice_client_disconnects_total{reason="users.max_client_connections"})") == 1 &&
            counted(R"(sluice_client_disconnects_total{reason="query_wait_timeout"})") == 1) {
            break;
        }
    }
    INFO(metrics);
    CHECK(counted(R"(sluice_timeouts_total{kind="statement_timeout"})") == 1);
    CHECK(counted(R"(sluice_timeouts_total{kind="query_wait_timeout"})") == 1);
    CHECK(counted(R"(sluice_client_disconnects_total{reason="query_wait_timeout"})") == 1);
    CHECK(counted(R"(sluice_refusals_total{kind="users.max_client_connections"})") == 1);
    CHECK(counted(R"(sluice_client_disconnects_total{reason="users.max_client_connections"})") == 1);
    CHECK(counted(R"(sluice_refusals_total{kind="max_client_connections"})") == 0);
    CHECK(metrics.find("user bob") == std::string::npos);  // the cap's reason text is not a label
    CHECK(counted(R"(sluice_client_connections{database="app",user="app",state="active"})") == 1);
}

TEST_CASE("connections that never send a request do not hold up a scrape", "[metrics]") {
    const int metrics_port = pick_free_port();
    SluiceProcess sluice([&](int port) { return with_metrics_listener(sluice_config(port, {}), metrics_port); });
    REQUIRE(wait_for_metrics(metrics_port));
    Connection app = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(app, "select 1") == "1");  // the pool exists: its gauges are exported
    // Four silent connections: with civetweb's defaults (2 threads, 30 s to read a request)
    // the scrape below waited for them.
    std::vector<std::unique_ptr<RawSocket>> silent;
    for (int i = 0; i < 4; ++i) silent.push_back(std::make_unique<RawSocket>(metrics_port, 10s));
    std::this_thread::sleep_for(200ms);  // accepted, each on a thread now
    const auto started = Clock::now();
    const HttpResponse scraped = http_get(metrics_port, "/metrics", 4s);
    CHECK(scraped.status == 200);
    CHECK(scraped.body.find("sluice_pool_size{") != std::string::npos);
    CHECK(Clock::now() - started < 4s);
}

// civetweb's stop waited for its listening thread's one-second poll: every SIGTERM of a Sluice
// with listen.metrics took a second or more to exit after "sluice stopped".
TEST_CASE("SIGTERM with a metrics listener exits at once", "[metrics]") {
    const int metrics_port = pick_free_port();
    SluiceProcess sluice([&](int port) { return with_metrics_listener(sluice_config(port, {}), metrics_port); });
    REQUIRE(wait_for_metrics(metrics_port));
    CHECK(http_get(metrics_port, "/metrics").status == 200);
    const auto started = Clock::now();
    CHECK(sluice.stop() == 0);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    INFO("exit took " << took.count() << " ms");
    CHECK(took < 700ms);  // a second before (the poll's timeout)
}
