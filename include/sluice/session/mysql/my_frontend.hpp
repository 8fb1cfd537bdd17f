#pragma once
// The MySQL/MariaDB front end of a ClientSession: the connection phase (HandshakeV10, TLS on
// SSLRequest, HandshakeResponse41, mysql_native_password or caching_sha2_password — its fast
// path, or its full authentication over TLS —, hba rules, the MySQL error table), scanning
// packets both ways with the ResponseTracker (when a response ends, the server status flags),
// COM_QUIT, the client's current schema, bringing a backend to this client's session
// (COM_RESET_CONNECTION where another client left state, COM_INIT_DB), ROLLBACK /
// COM_RESET_CONNECTION when settling, KILL QUERY on a side connection, a client's own KILL
// (my_kill_routing.hpp), ERR packets.
//
// Capabilities: clients are offered only what every pooled backend does the same way for them
// (kClientCapabilities): no CLIENT_DEPRECATE_EOF and no CLIENT_SESSION_TRACK (backends log in
// without them, so result sets end with classic EOF packets and OK packets carry no session
// state). CLIENT_FOUND_ROWS is offered: backends log in without it, and an UPDATE's OK packet is
// rewritten for clients that set it (mysql/found_rows.hpp). CLIENT_IGNORE_SPACE is offered too:
// backends log in without it, and the IGNORE_SPACE it puts in MariaDB's sql_mode follows the
// client as a SET would (follow_login_sql_mode).
// CLIENT_SSL is added at login when tls.client gives a context (allow or require).
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sluice/protocol/mysql/change_user.hpp"
#include "sluice/protocol/mysql/client_login.hpp"
#include "sluice/protocol/mysql/collations.hpp"
#include "sluice/protocol/mysql/packet_scanner.hpp"
#include "sluice/protocol/mysql/response_tracker.hpp"
#include "sluice/protocol/mysql/rest_points.hpp"
#include "sluice/protocol/mysql/session_statement.hpp"
#include "sluice/protocol/mysql/statement_registry.hpp"
#include "sluice/runtime/cancel_registry.hpp"
#include "sluice/session/client_session.hpp"
#include "sluice/session/frontend.hpp"
#include "sluice/session/mysql/my_kill_routing.hpp"
#include "sluice/session/mysql/my_server.hpp"

namespace sluice::session {

inline constexpr std::uint64_t kClientCapabilities =
    mysql::kDefaultServerCapabilities &
    ~(mysql::capability::CLIENT_DEPRECATE_EOF | mysql::capability::CLIENT_SESSION_TRACK);

class MyFrontend : public Frontend {
 public:
  explicit MyFrontend(ClientSession& session);

  const char* protocol() const override { return "mysql"; }
  awaitable<Expected<LoginOutcome>> log_in() override;
  awaitable<Status> serve_admin_console() override;
  ClientScan scan_client(std::span<const std::uint8_t> buffer, std::size_t held, std::size_t received) override;
  ServerScan scan_server(std::span<const std::uint8_t> chunk) override;
  OutgoingBytes rewrite_outgoing(std::span<const std::uint8_t> bytes) override;
  bool wants_before_forward() const override { return track_statements_ && !edits_.empty(); }
  awaitable<Status> before_forward(std::span<const std::uint8_t> bytes) override;
  WorkState work_state() const override;
  net::RestPoint client_rest_point() const override { return &mysql::is_one_whole_command; }
  net::RestPoint server_rest_point() const override { return {&MyFrontend::ends_server_answer, this}; }
  void trim_idle() override;
  StatementCounts take_statement_counts() override { return std::exchange(statement_counts_, {}); }
  std::size_t prepared_statement_count() const override { return statements_.size(); }
  bool prepare_backend_at_once() override;
  awaitable<Status> prepare_backend() override;
  void backend_detached() override;
  awaitable<bool> settle(SettleQuery query) override;
  awaitable<void> cancel_statement() override;
  void statement_timed_out() override { statement_timed_out_ = true; }
  awaitable<void> write_error(const Failure& failure, bool fatal) override;

 private:
  // `failure` as this client's ERR packet: its user, host and database, its library's codes.
  mysql::ErrPacket error_for_client(const Failure& failure) const;
  // --- login (my_frontend_login.cpp) ---
  awaitable<Expected<mysql::ClientLoginEvent>> drive_login(mysql::ClientLogin& login);
  // The HandshakeResponse41 (or the failure), after the TLS handshake if the client asked for it.
  awaitable<Expected<mysql::ClientLoginEvent>> read_response(mysql::ClientLogin& login, net::TlsContextPtr tls_context);
  // The database the client asked for (or its user's default_database); null: refused.
  const config::DatabaseConfig* choose_database(const mysql::HandshakeResponse41& response, std::string& name);
  // Starts the password check the configuration allows; false: refused already.
  // `method`: what the hba rules chose (nullopt: no rules, auth_type applies).
  bool begin_authentication(mysql::ClientLogin& login, std::optional<auth::HbaMethod> method);
  // The hba rules for this client, TLS or not (my_frontend_hba.cpp): a method, or the refusal.
  Expected<std::optional<auth::HbaMethod>> check_hba();
  awaitable<Expected<LoginOutcome>> fail_login(mysql::ClientLogin& login, Failure failure);
  awaitable<Expected<LoginOutcome>> welcome(mysql::ClientLogin& login, const config::DatabaseConfig& database);

  // --- the data phase (my_frontend_relay.cpp) ---
  bool on_client_packet(const mysql::PacketView& packet, std::span<const std::uint8_t> buffer, std::size_t buffer_end,
                        ClientScan& scan);
  bool read_query(const mysql::PacketView& packet, std::span<const std::uint8_t> buffer, std::size_t buffer_end,
                  ClientScan& scan);
  bool check_command(std::uint8_t command, ClientScan& scan);
  void on_schema_command(const mysql::PacketView& packet);
  void count_statements(std::uint8_t command);
  void on_server_packet(const mysql::PacketView& packet, ServerScan& scan);
  // Bytes [begin, end) of the edited output become `with` (empty: cut out).
  struct OutputEdit {
    std::size_t begin;
    std::size_t end;
    std::string with;
  };
  // The client's bytes of this chunk (held ones first), once something in them must change.
  std::string& edited_output(std::span<const std::uint8_t> chunk, std::string& carried, ServerScan& scan);
  // Answered without a backend (my_frontend_local.cpp).
  bool answers_locally() const;
  std::optional<std::string> local_ping_reply(std::span<const std::uint8_t> bytes) const;
  bool closed_locally(std::span<const std::uint8_t> bytes);
  MyServerConnection& server() const { return static_cast<MyServerConnection&>(session_.server()); }

  // --- a client's own KILL (my_frontend_kill.cpp) ---
  static bool is_kill(const mysql::PacketView& packet);
  // Answers the KILL in `packet` itself (`alone`: it is all this read holds); false stops the scan.
  bool answer_kill(const mysql::PacketView& packet, bool alone, ClientScan& scan);

  // --- COM_CHANGE_USER (my_frontend_change_user.cpp) ---
  // Logs the client in again as the packet's user, in that user's pool; `chunk`: this read.
  bool answer_change_user(std::span<const std::uint8_t> chunk, const mysql::PacketView& packet, bool alone,
                          ClientScan& scan);
  std::optional<Failure> switch_user(const mysql::ChangeUser& change);
  std::optional<Failure> change_user_refusal(const mysql::ChangeUser& change);

  void choose_collation(std::uint8_t id);

  // --- binary prepared statements across backends (my_frontend_statements.cpp) ---
  // A statement command scan_client let through whole: rewrite_outgoing maps its id.
  struct StatementEdit {
    std::size_t start = 0;    // the packet's header, in the relayed bytes
    std::uint32_t length = 0;  // its payload length
    std::uint8_t command = 0;
    std::uint32_t statement_id = 0;  // the client's (commands that name one)
  };
  void choose_statement_tracking();
  bool note_statement_packet(const mysql::PacketView& packet, std::size_t buffer_end, ClientScan& scan);
  void hold_statement_packet(std::span<const std::uint8_t> buffer, std::size_t from, ClientScan& scan) const;
  std::optional<Failure> rewrite_statement(const StatementEdit& edit, std::span<const std::uint8_t> packet,
                                           std::string& out);
  void rewrite_execute(const StatementEdit& edit, std::span<const std::uint8_t> packet, std::string& out);
  void on_prepare_answer(const mysql::PacketView& packet, std::size_t output_start, std::string* output);
  // Preparing them again (my_frontend_reprepare.cpp).
  std::vector<std::uint32_t> missing_statements();
  awaitable<Status> restore_statements();
  awaitable<Status> prepare_inside(std::vector<std::uint32_t> wanted);
  awaitable<bool> wait_for_server();
  bool swallowing() const { return !internal_wanted_.empty(); }
  // server_rest_point's test: the bytes end the server's answer to the client's every command
  // (not while Sluice's own commands are answered, nor with bytes held back from the client).
  static bool ends_server_answer(const void* self, std::span<const std::uint8_t> bytes);
  void on_internal_packet(const mysql::PacketView& packet, ServerScan& scan);
  mysql::BackendStatements& backend_statements();
  // backend_statements().make_room(), keeping the statements this client has a cursor or long data on.
  std::vector<std::uint32_t> make_room(std::size_t incoming);
  std::string statement_context() const;
  // Why the client keeps its backend between transactions ("" if it does not).
  std::string_view pin_reason() const;  // a fixed word, or empty
  void show_pin();
  bool may_start_transaction(std::uint8_t command) const;
  void follow_transaction();

  // --- the client's session across backends (my_frontend_session_state.cpp) ---
  void read_state_policy();
  // `prepared`: the text of a COM_STMT_PREPARE, run whenever the client executes it.
  bool on_query_text(std::string_view text, std::uint8_t sequence_id, bool alone, ClientScan& scan, bool prepared);
  bool refuse_query(const Failure& failure, std::uint8_t sequence_id, bool alone, ClientScan& scan);
  bool multi_statements_allowed() const;
  // The client's text may be in big5, cp932, gbk or sjis (handshake, or a SET naming one).
  bool maybe_two_byte_charset() const;
  bool on_set_option(const mysql::PacketView& packet, bool alone, ClientScan& scan);
  void setting_confirmed();
  void follow_login_sql_mode();
  void session_reset_by_client();
  void session_commands(bool reset, std::vector<std::string>& commands);
  void session_synced();

  // This session, as MyServerConnection::last_client knows it: changes when the client resets
  // its session (COM_RESET_CONNECTION, COM_CHANGE_USER), so no backend it used before counts as
  // its own any more and each is reset before it serves the client again.
  std::uint64_t client_token() const;

  ClientSession& session_;
  std::shared_ptr<MyKillTarget> cancel_target_;  // the backend a KILL for this client reaches
  runtime::CancelRegistration registration_;  // its key's process id is our connection id
  mysql::PacketScanner client_scanner_;
  std::unique_ptr<mysql::PacketScanner> server_scanner_;  // made at a lease, kept while busy: trimmed idle clients hold none
  mysql::ResponseTracker tracker_;  // survives leases: a command is scanned before its backend is
  std::string schema_;               // the client's current database on the backend side
  std::uint8_t character_set_ = mysql::charset::utf8mb4_general_ci;  // the handshake's collation id (see choose_collation)
  std::optional<mysql::Collation> collation_;  // its names
  std::optional<std::string> pending_schema_;  // a COM_INIT_DB / USE awaiting its OK
  bool awaiting_schema_answer_ = false;
  // COM_STMT_PREPAREs not yet closed (a failed one counts too: conservative). While any is
  // open the client is pinned to its backend, where the statement ids mean something.
  std::uint32_t open_statements_ = 0;
  // Statement tracking (transaction/statement mode, max_prepared_statements > 0): the client's
  // statements follow it, none of this pins.
  bool track_statements_ = false;
  mysql::ClientStatements statements_;
  std::vector<StatementEdit> edits_;         // from scan_client, for the next rewrite_outgoing
  std::deque<std::string> pending_prepares_;  // the client's COM_STMT_PREPAREs sent, unanswered
  std::string held_server_bytes_;            // the start of a COM_STMT_PREPARE_OK split across reads
  std::set<std::uint32_t> long_data_;        // statements sent COM_STMT_SEND_LONG_DATA, not yet executed
  std::set<std::uint32_t> cursors_;          // statements with a cursor open on the backend
  std::optional<std::uint32_t> cursor_asked_;  // the last execute that asked for a cursor, until answered
  // SET TRANSACTION applies to the next transaction: the backend stays until it ends. Commands
  // sent since the SET (-1: none yet, the SET itself not counted); nullopt: no such hold.
  std::optional<int> next_transaction_commands_;
  bool query_touches_no_table_ = false;  // the last COM_QUERY read: starts no transaction (QueryEffects)
  // A SAVEPOINT under autocommit=0 opened a transaction MariaDB does not flag yet: the backend
  // stays until COMMIT or ROLLBACK, or until SERVER_STATUS_IN_TRANS takes over.
  bool savepoint_sent_ = false;      // in the command now answered
  bool transaction_end_sent_ = false;  // COMMIT or ROLLBACK in the command now answered
  bool savepoint_open_ = false;
  // Sluice's own COM_STMT_PREPAREs inside a lease: their answers are kept from the client.
  std::deque<std::uint32_t> internal_wanted_;  // the client ids they prepare, in order
  mysql::ResponseTracker internal_tracker_;    // follows their answers
  bool internal_first_ = true;                 // the next answer packet starts a response
  std::size_t range_commands_ = 0;             // commands with answers in the last scanned read
  bool preparing_inside_ = false;              // before_forward runs: the lease must stay
  asio::steady_timer server_progress_;         // woken when an answer completes
  // What prepare_backend_at_once found the backend needs, for prepare_backend to send.
  std::vector<std::string> backend_commands_;
  std::optional<std::size_t> backend_init_db_at_;  // which of them is the COM_INIT_DB
  std::string_view shown_pin_;  // a fixed word from pin_reason()
  // Session state: what pins (kept until the client resets its session), the SETs that follow it.
  struct PendingSetting {
    std::string key;
    std::string sql;
    bool builds_on_earlier = false;  // reads a system variable: the earlier SETs stay
  };
  bool refuse_state_ = false;  // session_state: error (and not session mode)
  mysql::SessionPin state_pin_ = mysql::SessionPin::none;
  mysql::SessionSettings settings_;
  std::optional<PendingSetting> pending_setting_;  // a lone SET awaiting its OK
  bool unfollowed_state_ = false;  // a USE among other statements, or a CALL, went to the current lease
  std::optional<bool> multi_statements_option_;  // set by COM_SET_OPTION, else the login's capability
  bool prepared_unseen_effects_ = false;  // a CALL (or a text too long to read) is among its prepared statements: every backend it leaves is reset
  std::uint8_t next_sequence_ = 0;   // the id an ERR of ours takes in the current exchange
  std::uint32_t session_resets_ = 0;  // COM_RESET_CONNECTION / COM_CHANGE_USER so far (client_token)
  std::string scramble_;             // the handshake's: COM_CHANGE_USER's answer is to it
  std::uint64_t client_capabilities_ = 0;  // negotiated at login: COM_CHANGE_USER's layout
  bool login_error_sent_ = false;    // the login's ERR went out already
  bool answer_started_ = false;      // part of the server's answer to the pending command went out
  bool quit_split_ = false;          // part of the client's COM_QUIT reached the backend
  bool rejects_client_codes_ = false;  // its library refuses ERR codes 2000-2999 (mysql::ErrorContext)
  bool statement_timed_out_ = false;  // the next interrupted-query ERR is ours: say why
  StatementCounts statement_counts_;  // since the core last took them
};

// A ClientSession with a MySQL front end, for the listener.
std::shared_ptr<ClientSession> make_mysql_session(WorkerSocket client, ProxyContext& context);

}  // namespace sluice::session
