#pragma once
// The bookkeeping that lets a client's binary prepared statements outlive its backend (no I/O):
//
//   ClientStatements  - what the client prepared, under the ids Sluice gave it: the SQL text,
//                       the parameter count and the types of its last COM_STMT_EXECUTE that
//                       sent them (new-params-bound), and when it was used last.
//   BackendStatements - which statements one backend holds, under the backend's own ids, with
//                       the types the backend last saw for each; bounded by
//                       max_prepared_statements, least recently used first out (the caller
//                       sends COM_STMT_CLOSE for it).
//
// A backend's statements are shared by every client that gets it: they are found by their key,
// the SQL text and what its meaning depends on (the schema, character set and SETs it was
// prepared under, see ClientStatement::key), not by a client's id. So eight clients running the
// same statement over two backends prepare it twice, not once per client and backend change,
// and a client's COM_STMT_CLOSE leaves it for the others (the LRU bound closes it). A reset
// backend (COM_RESET_CONNECTION) has none left (clear()).
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/protocol/mysql/statement_packets.hpp"

namespace sluice::mysql {

struct ClientStatement {
  // The context it was prepared in (schema, character set, SETs), a NUL, then the SQL text: two
  // clients whose keys are equal may run one backend statement.
  std::string key;
  std::size_t sql_start = 0;
  std::uint16_t num_params = 0;
  std::string types;  // 2 bytes a parameter, from the last execute that sent them; empty: none yet
  std::uint64_t last_used = 0;

  std::string_view sql() const { return std::string_view(key).substr(sql_start); }
};

class ClientStatements {
 public:
  // Records a statement a backend prepared as `prepared.statement_id` in `context`; returns the
  // client's id for it: the backend's own when the client has no statement by that number (no
  // rewrite), otherwise the next free one.
  std::uint32_t add(std::string_view context, std::string_view sql, const PrepareOk& prepared);
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

  // The backend's statement for a ClientStatement::key, marked used now; null if absent.
  BackendStatement* use(std::string_view key);
  bool holds(std::string_view key) const { return statements_.find(key) != statements_.end(); }
  // Evicts least recently used statements until `incoming` more fit under the limit (counting
  // prepares still in flight); returns the backend ids to close, with any add() replaced.
  // Statements in `in_use` (an open cursor, long data sent) stay, over the limit if need be:
  // closing one would lose the cursor's rows or the data.
  std::vector<std::uint32_t> make_room(std::size_t incoming, std::span<const std::string_view> in_use = {});
  // A prepare Sluice or the client sent is on its way (make_room counts it) / was answered.
  void prepare_sent() { ++in_flight_; }
  void prepare_answered() {
    if (in_flight_ > 0) --in_flight_;
  }
  // A client that prepared a key the backend holds already gets a second backend statement: the
  // older one is closed by the next make_room().
  void add(std::string_view key, std::uint32_t backend_id);
  // COM_RESET_CONNECTION: the server closed them all.
  void clear() {
    statements_.clear();
    replaced_.clear();
    in_flight_ = 0;
  }
  std::size_t size() const { return statements_.size(); }
  std::size_t limit() const { return limit_; }

 private:
  std::size_t limit_;
  std::size_t in_flight_ = 0;
  std::map<std::string, BackendStatement, std::less<>> statements_;  // by ClientStatement::key
  std::vector<std::uint32_t> replaced_;  // backend ids add() displaced, to close
  std::uint64_t clock_ = 0;
};

}  // namespace sluice::mysql
