#pragma once
// The bookkeeping that lets a client's binary prepared statements outlive its backend (no I/O):
//
//   ClientStatements  - what the client prepared, under the ids Sluice gave it: the SQL text,
//                       the parameter count and the types of its last COM_STMT_EXECUTE that
//                       sent them (new-params-bound), and when it was used last.
//   BackendStatements - which of them one backend holds, under the backend's own ids, with the
//                       types the backend last saw for each; bounded by max_prepared_statements,
//                       least recently used first out (the caller sends COM_STMT_CLOSE for it).
//
// A backend's statements belong to the client that used it last: another client's lease starts
// with COM_RESET_CONNECTION, which closes them all (clear()).
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sluice/protocol/mysql/statement_packets.hpp"

namespace sluice::mysql {

struct ClientStatement {
  std::string sql;
  std::uint16_t num_params = 0;
  std::string types;  // 2 bytes a parameter, from the last execute that sent them; empty: none yet
  std::uint64_t last_used = 0;
};

class ClientStatements {
 public:
  // Records a statement a backend prepared as `prepared.statement_id`; returns the client's id
  // for it: the backend's own when the client has no statement by that number (no rewrite),
  // otherwise the next free one.
  std::uint32_t add(std::string sql, const PrepareOk& prepared);
  // The statement, marked used now; null if the client has none by that id.
  ClientStatement* use(std::uint32_t id);
  const ClientStatement* find(std::uint32_t id) const;
  void forget(std::uint32_t id);
  void clear() {
    statements_.clear();
    text_size_ = 0;
  }
  std::size_t size() const { return statements_.size(); }
  std::size_t text_size() const { return text_size_; }  // bytes of SQL kept
  // Ids, most recently used first, at most `limit` of them.
  std::vector<std::uint32_t> most_recent(std::size_t limit) const;

 private:
  std::uint32_t free_id(std::uint32_t wanted) const;

  std::map<std::uint32_t, ClientStatement> statements_;
  std::size_t text_size_ = 0;
  std::uint64_t clock_ = 0;  // a use counter: orders statements by recency
};

struct BackendStatement {
  std::uint32_t backend_id = 0;
  std::string types_bound;  // what the backend last saw for it (execute flag 0 reuses these)
  std::uint64_t last_used = 0;
};

class BackendStatements {
 public:
  explicit BackendStatements(std::size_t limit) : limit_(limit == 0 ? 1 : limit) {}

  // The backend's statement for client id `client_id`, marked used now; null if absent.
  BackendStatement* use(std::uint32_t client_id);
  bool holds(std::uint32_t client_id) const { return statements_.count(client_id) != 0; }
  // Evicts least recently used statements until `incoming` more fit under the limit (counting
  // prepares still in flight); returns the backend ids to close.
  std::vector<std::uint32_t> make_room(std::size_t incoming);
  // A prepare Sluice or the client sent is on its way (make_room counts it) / was answered.
  void prepare_sent() { ++in_flight_; }
  void prepare_answered() {
    if (in_flight_ > 0) --in_flight_;
  }
  void add(std::uint32_t client_id, std::uint32_t backend_id);
  // Forgets the client's statement; returns the backend id to close, if the backend had it.
  std::optional<std::uint32_t> forget(std::uint32_t client_id);
  // COM_RESET_CONNECTION: the server closed them all.
  void clear() {
    statements_.clear();
    in_flight_ = 0;
  }
  std::size_t size() const { return statements_.size(); }
  std::size_t limit() const { return limit_; }

 private:
  std::size_t limit_;
  std::size_t in_flight_ = 0;
  std::map<std::uint32_t, BackendStatement> statements_;  // by the client's id
  std::uint64_t clock_ = 0;
};

}  // namespace sluice::mysql
