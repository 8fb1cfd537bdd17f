// soak: many PostgreSQL clients running short write transactions through a pooler, each
// commit's outcome recorded, then the table checked directly against the record.
//
// Standalone benchmark helper (not part of the CMake build; bench/soak.sh compiles it):
//   g++ -O2 -std=c++20 bench/soak.cpp -lpq -o /tmp/soak
//
// Usage: soak [options] -D DIRECT_CONNINFO CONNINFO
//   CONNINFO          the pooler (Sluice), e.g. "host=127.0.0.1 port=6432 dbname=bench user=bench"
//   -D CONNINFO       the same database directly (table setup and the final check; never pooled)
//   -n N              clients (default 1000)
//   -d SECONDS        how long clients start new transactions (default 60)
//   -t MS             maximum think time between transactions, uniform from 0 (default 20)
//   -b IN_FLIGHT      connection attempts in progress at once (default 100)
//   -w SECONDS        drain: after -d, how long transactions in flight may finish (default 30)
//   -s SECONDS        a step (one query string) answered later than this counts as stuck (default 120)
//   -m N              fail unless at least N transactions were acknowledged (default 1)
//   -r SEED           random seed (default: time)
//
// Every client loops over transactions: BEGIN; INSERT 1..3 rows into soak(id, client, txn)
// with ids client * 1e9 + row number; sometimes a SELECT or UPDATE of its own new row (it must
// see it: a statement routed to another backend would not); COMMIT, or ROLLBACK one time in
// ten. COMMIT is always a query string of its own, so its answer is unambiguous. Transactions
// are classified:
//   acked        COMMIT answered CommandComplete "COMMIT"             -> rows must be in the table
//   rolled_back  the client chose ROLLBACK                             -> rows must not be
//   failed       an error or a lost connection before COMMIT was sent,
//                or COMMIT answered "ROLLBACK"                         -> rows must not be
//   in_doubt     error or lost connection after COMMIT was sent, before its answer
//                                                                      -> either way, but all or none
// On any error the client closes its connection and reconnects after a short back-off.
//
// At the end the table is read with COPY over DIRECT_CONNINFO. Lines on stdout:
//   RESULT key=value ...   (one line; soak.sh parses it)
// Exit status: 0 if nothing was lost, nothing phantom, no transaction torn, no visibility
// violation, no step stuck and at least -m transactions were acknowledged; 1 otherwise; 2 on
// usage or setup errors.

#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kIdsPerClient = 1'000'000'000;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct Options {
  long clients = 1000;
  long seconds = 60;
  long think_ms = 20;
  long connect_in_flight = 100;
  long drain_seconds = 30;
  long stuck_seconds = 120;
  long min_acked = 1;
  unsigned seed = static_cast<unsigned>(std::chrono::system_clock::now().time_since_epoch().count());
  std::string conninfo;
  std::string direct;
};

enum class Outcome : std::uint8_t { pending, acked, rolled_back, failed, in_doubt };

// What a result of one statement must look like.
enum class Expect : std::uint8_t { begin, insert, select_own, update_own, commit, rollback };

struct Step {
  std::string sql;
  std::vector<Expect> expects;  // one per statement in sql
};

struct Transaction {
  std::uint32_t number = 0;       // the txn column
  std::uint32_t first_row = 0;    // row numbers first_row .. first_row + rows - 1
  std::uint8_t rows = 0;
  Outcome outcome = Outcome::pending;
};

enum class State { backoff, connecting, thinking, busy, done };

struct Client {
  int id = 0;
  PGconn* pg = nullptr;
  State state = State::backoff;
  PostgresPollingStatusType want = PGRES_POLLING_WRITING;
  Clock::time_point wake_at;       // backoff / thinking: when to move on
  Clock::time_point step_sent_at;  // busy: when the current step went out
  Clock::time_point connect_started;
  int backoff_ms = 0;
  bool flushing = false;           // PQflush said more to write

  std::vector<Transaction> transactions;  // every transaction this client began
  std::vector<std::uint32_t> row_txn;     // row number -> index into transactions
  std::vector<Step> steps;                // of the current transaction
  std::size_t step = 0;
  std::size_t result_index = 0;           // statement within the current step
  bool step_failed = false;
  bool commit_sent = false;
  bool in_transaction = false;
};

struct Counters {
  long reconnects = 0;          // connections re-opened after an error
  long connect_failures = 0;
  long visibility_violations = 0;
  long stuck_steps = 0;
  double max_step_seconds = 0;
  std::map<std::string, long> errors;  // "SQLSTATE message" (shortened) -> count
};

// ---- the workload --------------------------------------------------------------------

class Driver {
 public:
  explicit Driver(const Options& options) : options_(options), random_(options.seed) {
    clients_.resize(static_cast<std::size_t>(options.clients));
    for (std::size_t i = 0; i < clients_.size(); ++i) {
      clients_[i].id = static_cast<int>(i) + 1;  // client 0 would give ids near 0: fine, but 1.. reads better
      clients_[i].wake_at = Clock::now();
    }
  }

  int run();
  const std::vector<Client>& clients() const { return clients_; }
  const Counters& counters() const { return counters_; }
  double elapsed() const { return seconds_between(started_, finished_); }

 private:
  void start_connect(Client& c);
  void on_connect_ready(Client& c);
  void begin_transaction(Client& c);
  void send_step(Client& c);
  void on_readable(Client& c);
  bool check_result(Client& c, PGresult* result);
  void finish_step(Client& c);
  void end_transaction(Client& c, Outcome outcome);
  void fail(Client& c, const char* what);
  void close_after_error(Client& c);
  void schedule_think(Client& c);
  void on_timers(Clock::time_point now);
  void progress(Clock::time_point now, bool force);
  long count_outcome(Outcome o) const;
  int random_between(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

  const Options& options_;
  std::mt19937_64 random_;
  std::vector<Client> clients_;
  Counters counters_;
  long connecting_ = 0;
  long outcomes_[5] = {};  // transactions by Outcome
  bool stopping_ = false;  // past -d: no new transactions
  Clock::time_point started_, finished_, last_progress_;
};

void Driver::start_connect(Client& c) {
  c.pg = PQconnectStart(options_.conninfo.c_str());
  c.connect_started = Clock::now();
  if (!c.pg || PQstatus(c.pg) == CONNECTION_BAD) {
    fail(c, "connect");
    return;
  }
  // An ErrorResponse while no query runs (a backend killed between transactions) would be
  // printed by libpq's default processor; the next query reports the lost connection anyway.
  PQsetNoticeProcessor(c.pg, [](void*, const char*) {}, nullptr);
  c.state = State::connecting;
  c.want = PGRES_POLLING_WRITING;
  ++connecting_;
}

void Driver::on_connect_ready(Client& c) {
  c.want = PQconnectPoll(c.pg);
  if (c.want == PGRES_POLLING_FAILED) {
    ++counters_.connect_failures;
    fail(c, "connect");
    return;
  }
  if (c.want != PGRES_POLLING_OK) return;
  --connecting_;
  c.backoff_ms = 0;
  schedule_think(c);
  if (PQsetnonblocking(c.pg, 1) != 0) fail(c, "setnonblocking");
}

std::string insert_sql(const Client& c, const Transaction& t) {
  std::string sql = "INSERT INTO soak (id, client, txn) VALUES ";
  for (std::uint8_t k = 0; k < t.rows; ++k) {
    const std::int64_t id = static_cast<std::int64_t>(c.id) * kIdsPerClient + t.first_row + k;
    if (k) sql += ", ";
    sql += "(" + std::to_string(id) + ", " + std::to_string(c.id) + ", " + std::to_string(t.number) + ")";
  }
  return sql;
}

// Chooses the next transaction's shape and sends its first step.
void Driver::begin_transaction(Client& c) {
  Transaction t;
  t.number = static_cast<std::uint32_t>(c.transactions.size() + 1);
  t.first_row = static_cast<std::uint32_t>(c.row_txn.size());
  t.rows = static_cast<std::uint8_t>(random_between(1, 3));
  for (std::uint8_t k = 0; k < t.rows; ++k) c.row_txn.push_back(static_cast<std::uint32_t>(c.transactions.size()));
  c.transactions.push_back(t);

  c.steps.clear();
  const auto insert = insert_sql(c, t);
  if (random_between(0, 1)) {
    c.steps.push_back({"BEGIN", {Expect::begin}});
    c.steps.push_back({insert, {Expect::insert}});
  } else {
    c.steps.push_back({"BEGIN; " + insert, {Expect::begin, Expect::insert}});  // one pipelined string
  }
  const std::int64_t first_id = static_cast<std::int64_t>(c.id) * kIdsPerClient + t.first_row;
  const int extra = random_between(0, 9);
  if (extra < 2) {
    c.steps.push_back({"SELECT txn FROM soak WHERE id = " + std::to_string(first_id), {Expect::select_own}});
  } else if (extra < 3) {
    c.steps.push_back({"UPDATE soak SET client = client WHERE id = " + std::to_string(first_id), {Expect::update_own}});
  }
  if (random_between(0, 9) == 0) {
    c.steps.push_back({"ROLLBACK", {Expect::rollback}});
  } else {
    c.steps.push_back({"COMMIT", {Expect::commit}});
  }
  c.step = 0;
  c.commit_sent = false;
  c.in_transaction = true;
  send_step(c);
}

void Driver::send_step(Client& c) {
  const Step& step = c.steps[c.step];
  c.result_index = 0;
  c.step_failed = false;
  if (step.expects.front() == Expect::commit) c.commit_sent = true;  // from here on: in doubt on error
  if (!PQsendQuery(c.pg, step.sql.c_str())) {
    fail(c, "send");
    return;
  }
  const int flushed = PQflush(c.pg);
  if (flushed < 0) {
    fail(c, "send");
    return;
  }
  c.flushing = flushed == 1;
  c.state = State::busy;
  c.step_sent_at = Clock::now();
}

// Reads whatever arrived; handles every complete result of the current step.
void Driver::on_readable(Client& c) {
  if (c.flushing) {
    const int flushed = PQflush(c.pg);
    if (flushed < 0) return fail(c, "send");
    c.flushing = flushed == 1;
  }
  if (!PQconsumeInput(c.pg)) {
    if (c.step_failed) return close_after_error(c);  // the error came first and is counted
    return fail(c, "receive");
  }
  while (!PQisBusy(c.pg)) {
    PGresult* result = PQgetResult(c.pg);
    if (!result) {
      if (c.step_failed) return close_after_error(c);
      return finish_step(c);
    }
    if (!c.step_failed && !check_result(c, result)) c.step_failed = true;
    PQclear(result);
    if (PQstatus(c.pg) == CONNECTION_BAD) {
      if (c.step_failed) return close_after_error(c);  // its error is counted already
      return fail(c, "connection");
    }
  }
}

std::string short_error(PGconn* pg, PGresult* result) {
  std::string text;
  if (result) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    text = std::string(state ? state : "-----") + " " + (primary ? primary : PQresStatus(PQresultStatus(result)));
  } else {
    text = std::string("----- ") + (pg ? PQerrorMessage(pg) : "out of memory");
  }
  if (const auto newline = text.find('\n'); newline != std::string::npos) text.resize(newline);
  // Numbers after the SQLSTATE (pids, ports) would make every message unique.
  for (std::size_t i = 6; i < text.size(); ++i) if (text[i] >= '0' && text[i] <= '9') text[i] = '#';
  return text.substr(0, 110);
}

// True if the result is what the step's statement must return; records the error otherwise.
bool Driver::check_result(Client& c, PGresult* result) {
  const Step& step = c.steps[c.step];
  if (c.result_index >= step.expects.size()) {
    ++counters_.errors["unexpected extra result"];
    return false;
  }
  const Expect expect = step.expects[c.result_index++];
  const ExecStatusType status = PQresultStatus(result);
  const std::string tag = PQcmdStatus(result);
  const Transaction& t = c.transactions.back();
  if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR || status == PGRES_BAD_RESPONSE) {
    ++counters_.errors[short_error(c.pg, result)];
    return false;
  }
  switch (expect) {
    case Expect::begin: if (tag == "BEGIN") return true; break;
    case Expect::insert: if (tag == "INSERT 0 " + std::to_string(t.rows)) return true; break;
    case Expect::commit: if (tag == "COMMIT") return true; break;
    case Expect::rollback: if (tag == "ROLLBACK") return true; break;
    case Expect::update_own:
      if (tag == "UPDATE 1") return true;
      ++counters_.visibility_violations;
      break;
    case Expect::select_own:
      if (status == PGRES_TUPLES_OK && PQntuples(result) == 1 &&
          std::strtoul(PQgetvalue(result, 0, 0), nullptr, 10) == t.number) return true;
      ++counters_.visibility_violations;
      break;
  }
  if (expect == Expect::commit && tag == "ROLLBACK") {
    // A definite answer: the transaction was aborted. Not an anomaly by itself.
    ++counters_.errors["COMMIT answered ROLLBACK"];
    c.commit_sent = false;  // treated as failed, not in doubt
    return false;
  }
  ++counters_.errors["unexpected result: " + tag];
  return false;
}

void Driver::finish_step(Client& c) {
  const double took = seconds_between(c.step_sent_at, Clock::now());
  counters_.max_step_seconds = std::max(counters_.max_step_seconds, took);
  const Expect last = c.steps[c.step].expects.back();
  if (last == Expect::commit || last == Expect::rollback) {
    end_transaction(c, last == Expect::commit ? Outcome::acked : Outcome::rolled_back);
    schedule_think(c);
    return;
  }
  ++c.step;
  send_step(c);
}

void Driver::end_transaction(Client& c, Outcome outcome) {
  if (!c.in_transaction) return;
  c.transactions.back().outcome = outcome;
  ++outcomes_[static_cast<int>(outcome)];
  c.in_transaction = false;
}

// An error: the transaction (if any) is classified, the connection closed, a reconnect planned.
void Driver::fail(Client& c, const char* what) {
  ++counters_.errors[std::string(what) + ": " + short_error(c.pg, nullptr)];
  if (c.state == State::connecting) --connecting_;
  close_after_error(c);
}

void Driver::close_after_error(Client& c) {
  if (c.in_transaction) {
    end_transaction(c, c.commit_sent ? Outcome::in_doubt : Outcome::failed);
  }
  if (c.pg) PQfinish(c.pg);
  c.pg = nullptr;
  c.flushing = false;
  ++counters_.reconnects;
  c.backoff_ms = c.backoff_ms == 0 ? 50 : std::min(c.backoff_ms * 2, 2000);
  c.state = stopping_ ? State::done : State::backoff;
  c.wake_at = Clock::now() + std::chrono::milliseconds(random_between(c.backoff_ms / 2, c.backoff_ms));
}

void Driver::schedule_think(Client& c) {
  c.state = stopping_ ? State::done : State::thinking;
  c.wake_at = Clock::now() + std::chrono::milliseconds(random_between(0, static_cast<int>(options_.think_ms)));
}

void Driver::on_timers(Clock::time_point now) {
  for (auto& c : clients_) {
    if (c.state == State::busy && seconds_between(c.step_sent_at, now) > static_cast<double>(options_.stuck_seconds)) {
      ++counters_.stuck_steps;
      std::fprintf(stderr, "soak: client %d: step \"%.40s\" unanswered for %ld s\n", c.id, c.steps[c.step].sql.c_str(),
                   options_.stuck_seconds);
      ++counters_.errors["step stuck"];
      close_after_error(c);
      continue;
    }
    if (c.state == State::connecting &&
        seconds_between(c.connect_started, now) > static_cast<double>(options_.stuck_seconds)) {
      ++counters_.errors["connect stuck"];
      ++counters_.stuck_steps;
      --connecting_;
      close_after_error(c);
      continue;
    }
    if (now < c.wake_at) continue;
    if (c.state == State::thinking) {
      if (stopping_) c.state = State::done;
      else begin_transaction(c);
    } else if (c.state == State::backoff) {
      if (stopping_) c.state = State::done;
      else if (connecting_ < options_.connect_in_flight) start_connect(c);
    }
  }
}

long Driver::count_outcome(Outcome o) const { return outcomes_[static_cast<int>(o)]; }

void Driver::progress(Clock::time_point now, bool force) {
  if (!force && seconds_between(last_progress_, now) < 5.0) return;
  last_progress_ = now;
  long by_state[5] = {};
  for (const auto& c : clients_) ++by_state[static_cast<int>(c.state)];
  std::fprintf(stderr,
               "soak: t=%.0fs acked=%ld rolled_back=%ld failed=%ld in_doubt=%ld reconnects=%ld "
               "clients: connecting=%ld thinking=%ld busy=%ld backoff=%ld done=%ld\n",
               seconds_between(started_, now), count_outcome(Outcome::acked), count_outcome(Outcome::rolled_back),
               count_outcome(Outcome::failed), count_outcome(Outcome::in_doubt), counters_.reconnects,
               by_state[static_cast<int>(State::connecting)], by_state[static_cast<int>(State::thinking)],
               by_state[static_cast<int>(State::busy)], by_state[static_cast<int>(State::backoff)],
               by_state[static_cast<int>(State::done)]);
}

int Driver::run() {
  started_ = last_progress_ = Clock::now();
  const auto stop_at = started_ + std::chrono::seconds(options_.seconds);
  const auto drain_until = stop_at + std::chrono::seconds(options_.drain_seconds);
  std::vector<pollfd> fds;
  std::vector<Client*> owners;
  for (;;) {
    const auto now = Clock::now();
    if (!stopping_ && (now >= stop_at || g_stop)) {
      stopping_ = true;
      std::fprintf(stderr, "soak: %s; draining transactions in flight\n", g_stop ? "interrupted" : "time is up");
    }
    on_timers(now);
    progress(now, false);
    fds.clear();
    owners.clear();
    for (auto& c : clients_) {
      short events = 0;
      if (c.state == State::connecting) events = c.want == PGRES_POLLING_READING ? POLLIN : POLLOUT;
      if (c.state == State::busy) events = static_cast<short>(POLLIN | (c.flushing ? POLLOUT : 0));
      if (!events) continue;
      fds.push_back(pollfd{PQsocket(c.pg), events, 0});
      owners.push_back(&c);
    }
    if (stopping_ && (fds.empty() || now >= drain_until)) break;
    const int ready = poll(fds.data(), fds.size(), 5);
    if (ready < 0 && errno != EINTR) {
      std::perror("poll");
      return 2;
    }
    for (std::size_t k = 0; ready > 0 && k < fds.size(); ++k) {
      if (!fds[k].revents) continue;
      Client& c = *owners[k];
      if (c.state == State::connecting) on_connect_ready(c);
      else if (c.state == State::busy) on_readable(c);
    }
  }
  // Whatever is still open: classified as the connection closes.
  for (auto& c : clients_) {
    if (c.in_transaction) end_transaction(c, c.commit_sent ? Outcome::in_doubt : Outcome::failed);
    if (c.pg) PQfinish(c.pg);
    c.pg = nullptr;
  }
  finished_ = Clock::now();
  progress(finished_, true);
  return 0;
}

// ---- setup and the final check over the direct connection ----------------------------

PGconn* connect_direct(const std::string& conninfo) {
  PGconn* pg = PQconnectdb(conninfo.c_str());
  if (PQstatus(pg) != CONNECTION_OK) {
    std::fprintf(stderr, "soak: direct connection failed: %s", PQerrorMessage(pg));
    PQfinish(pg);
    return nullptr;
  }
  PQsetNoticeProcessor(pg, [](void*, const char*) {}, nullptr);  // "table does not exist, skipping"
  return pg;
}

bool exec_ok(PGconn* pg, const char* sql) {
  PGresult* result = PQexec(pg, sql);
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  if (!ok) std::fprintf(stderr, "soak: %s: %s", sql, PQerrorMessage(pg));
  PQclear(result);
  return ok;
}

bool create_table(const std::string& direct) {
  PGconn* pg = connect_direct(direct);
  if (!pg) return false;
  const bool ok = exec_ok(pg, "DROP TABLE IF EXISTS soak") &&
                  exec_ok(pg, "CREATE TABLE soak (id bigint PRIMARY KEY, client int NOT NULL, txn bigint NOT NULL)");
  PQfinish(pg);
  return ok;
}

struct Verdict {
  long rows_in_table = 0;
  long rows_acked = 0;
  long rows_lost = 0;
  long rows_phantom = 0;
  long in_doubt_committed = 0;
  long in_doubt_absent = 0;
  long torn = 0;  // transactions with some rows but not all
};

// Marks a table row against the record; false if it may not be there.
bool account_row(const std::vector<Client>& clients, std::int64_t id, std::int64_t client, std::int64_t txn,
                 std::vector<std::vector<std::uint8_t>>& seen) {
  const std::int64_t owner = id / kIdsPerClient;
  const std::int64_t row = id % kIdsPerClient;
  if (owner != client || owner < 1 || owner > static_cast<std::int64_t>(clients.size())) return false;
  const Client& c = clients[static_cast<std::size_t>(owner - 1)];
  if (row >= static_cast<std::int64_t>(c.row_txn.size())) return false;
  const Transaction& t = c.transactions[c.row_txn[static_cast<std::size_t>(row)]];
  if (t.number != txn) return false;
  if (t.outcome != Outcome::acked && t.outcome != Outcome::in_doubt) return false;
  seen[static_cast<std::size_t>(owner - 1)][static_cast<std::size_t>(row)] = 1;
  return true;
}

bool read_table(const std::string& direct, const std::vector<Client>& clients, Verdict& v,
                std::vector<std::vector<std::uint8_t>>& seen) {
  PGconn* pg = connect_direct(direct);
  if (!pg) return false;
  PGresult* started = PQexec(pg, "COPY soak (id, client, txn) TO STDOUT");
  const bool copying = PQresultStatus(started) == PGRES_COPY_OUT;
  PQclear(started);
  if (!copying) {
    std::fprintf(stderr, "soak: COPY failed: %s", PQerrorMessage(pg));
    PQfinish(pg);
    return false;
  }
  char* line = nullptr;
  int length;
  long shown = 0;
  while ((length = PQgetCopyData(pg, &line, 0)) > 0) {
    long long id = 0, client = 0, txn = 0;
    if (std::sscanf(line, "%lld\t%lld\t%lld", &id, &client, &txn) == 3) {
      ++v.rows_in_table;
      if (!account_row(clients, id, client, txn, seen)) {
        ++v.rows_phantom;
        if (shown++ < 10) std::fprintf(stderr, "soak: phantom row id=%lld client=%lld txn=%lld\n", id, client, txn);
      }
    }
    PQfreemem(line);
  }
  PGresult* tail = PQgetResult(pg);
  const bool ok = length == -1 && PQresultStatus(tail) == PGRES_COMMAND_OK;
  PQclear(tail);
  PQfinish(pg);
  if (!ok) std::fprintf(stderr, "soak: COPY did not complete\n");
  return ok;
}

// Every acknowledged row present; in-doubt transactions all or nothing.
void judge(const std::vector<Client>& clients, const std::vector<std::vector<std::uint8_t>>& seen, Verdict& v) {
  long shown = 0;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    const Client& c = clients[i];
    for (const auto& t : c.transactions) {
      int present = 0;
      for (std::uint8_t k = 0; k < t.rows; ++k) present += seen[i][t.first_row + k];
      if (t.outcome == Outcome::acked) {
        v.rows_acked += t.rows;
        v.rows_lost += t.rows - present;
        if (present < t.rows && shown++ < 10)
          std::fprintf(stderr, "soak: lost: client %d txn %u (%d of %d rows present)\n", c.id, t.number, present, t.rows);
      }
      if (present > 0 && present < t.rows) ++v.torn;
      if (t.outcome == Outcome::in_doubt) ++(present ? v.in_doubt_committed : v.in_doubt_absent);
    }
  }
}

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [-n CLIENTS] [-d SECONDS] [-t THINK_MS] [-b IN_FLIGHT] [-w DRAIN_S] [-s STUCK_S] "
               "[-m MIN_ACKED] [-r SEED] -D DIRECT_CONNINFO CONNINFO\n",
               argv0);
}

bool parse_long(const char* s, long& out) {
  char* end = nullptr;
  out = std::strtol(s, &end, 10);
  return end != s && *end == '\0' && out >= 0;
}

bool parse_options(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    long value = 0;
    auto next_long = [&](long& target) {
      if (i + 1 >= argc || !parse_long(argv[++i], value)) return false;
      target = value;
      return true;
    };
    bool ok = true;
    if (a == "-n") ok = next_long(o.clients);
    else if (a == "-d") ok = next_long(o.seconds);
    else if (a == "-t") ok = next_long(o.think_ms);
    else if (a == "-b") ok = next_long(o.connect_in_flight);
    else if (a == "-w") ok = next_long(o.drain_seconds);
    else if (a == "-s") ok = next_long(o.stuck_seconds);
    else if (a == "-m") ok = next_long(o.min_acked);
    else if (a == "-r") { long seed = 0; ok = next_long(seed); o.seed = static_cast<unsigned>(seed); }
    else if (a == "-D" && i + 1 < argc) o.direct = argv[++i];
    else if (!a.empty() && a[0] != '-') o.conninfo = a;
    else ok = false;
    if (!ok) return false;
  }
  return !o.conninfo.empty() && !o.direct.empty() && o.clients > 0 && o.connect_in_flight > 0;
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_options(argc, argv, options)) {
    usage(argv[0]);
    return 2;
  }
  raise_fd_limit();
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (!create_table(options.direct)) return 2;
  std::fprintf(stderr, "soak: %ld clients for %ld s (think 0..%ld ms, seed %u)\n", options.clients, options.seconds,
               options.think_ms, options.seed);
  Driver driver(options);
  if (driver.run() != 0) return 2;

  const auto& clients = driver.clients();
  std::vector<std::vector<std::uint8_t>> seen(clients.size());
  for (std::size_t i = 0; i < clients.size(); ++i) seen[i].assign(clients[i].row_txn.size(), 0);
  Verdict v;
  if (!read_table(options.direct, clients, v, seen)) return 2;
  judge(clients, seen, v);

  long by_outcome[5] = {};
  for (const auto& c : clients)
    for (const auto& t : c.transactions) ++by_outcome[static_cast<int>(t.outcome)];
  const auto& n = driver.counters();
  std::vector<std::pair<long, std::string>> errors;
  for (const auto& [text, count] : n.errors) errors.emplace_back(count, text);
  std::sort(errors.rbegin(), errors.rend());
  for (std::size_t i = 0; i < errors.size() && i < 12; ++i)
    std::fprintf(stderr, "soak: error x%ld: %s\n", errors[i].first, errors[i].second.c_str());

  const long acked = by_outcome[static_cast<int>(Outcome::acked)];
  const long total = acked + by_outcome[static_cast<int>(Outcome::rolled_back)] +
                     by_outcome[static_cast<int>(Outcome::failed)] + by_outcome[static_cast<int>(Outcome::in_doubt)];
  std::printf(
      "RESULT seconds=%.1f transactions=%ld acked=%ld rolled_back=%ld failed=%ld in_doubt=%ld "
      "in_doubt_committed=%ld in_doubt_absent=%ld tps=%.0f reconnects=%ld connect_failures=%ld "
      "rows_in_table=%ld rows_acked=%ld rows_lost=%ld rows_phantom=%ld torn=%ld visibility_violations=%ld "
      "stuck=%ld max_step_ms=%.0f\n",
      driver.elapsed(), total, acked, by_outcome[static_cast<int>(Outcome::rolled_back)],
      by_outcome[static_cast<int>(Outcome::failed)], by_outcome[static_cast<int>(Outcome::in_doubt)],
      v.in_doubt_committed, v.in_doubt_absent, static_cast<double>(total) / std::max(driver.elapsed(), 1.0),
      n.reconnects, n.connect_failures, v.rows_in_table, v.rows_acked, v.rows_lost, v.rows_phantom, v.torn,
      n.visibility_violations, n.stuck_steps, n.max_step_seconds * 1000);
  std::fflush(stdout);
  const bool clean = v.rows_lost == 0 && v.rows_phantom == 0 && v.torn == 0 && n.visibility_violations == 0 &&
                     n.stuck_steps == 0;
  if (acked < options.min_acked)
    std::fprintf(stderr, "soak: only %ld transactions acknowledged (minimum %ld)\n", acked, options.min_acked);
  return clean && acked >= options.min_acked ? 0 : 1;
}
