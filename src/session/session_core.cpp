#include "sluice/session/session_core.hpp"

namespace sluice::session {

void SessionCore::stop(Failure reason) {
  if (!stop_reason_) stop_reason_ = std::make_unique<Failure>(std::move(reason));
}

bool SessionCore::idle_between_transactions(const WorkState& work) const {
  // A pinned client sits on its backend between transactions as a session-mode one does.
  return !lease_ || ((mode_ == config::PoolMode::session || work.pinned) && backend_clean(work));
}

bool SessionCore::request_stop(Failure reason, const WorkState& work) {
  if (idle_between_transactions(work)) {
    stop(std::move(reason));
    return true;
  }
  if (!stop_after_transaction_) stop_after_transaction_ = std::make_unique<Failure>(std::move(reason));
  return false;
}

std::optional<Failure> SessionCore::due_stop(const WorkState& work) const {
  if (stop_after_transaction_ && backend_clean(work) && !writing_) return *stop_after_transaction_;
  return std::nullopt;
}

bool SessionCore::may_release(const WorkState& work) const {
  return lease_ && mode_ != config::PoolMode::session && !writing_ && !work.pinned && backend_clean(work);
}

std::optional<Failure> SessionCore::check_pool_mode(const WorkState& work) const {
  if (mode_ == config::PoolMode::statement && work.in_transaction) {
    return Failure{"pool_mode", "", "transaction blocks are not allowed in statement pool mode"};
  }
  return std::nullopt;
}

TimeoutAction SessionCore::on_timeout(TimeoutKind kind, const WorkState& work) const {
  using Kind = TimeoutAction::Kind;
  switch (kind) {
    case TimeoutKind::statement_timeout:
      if (!lease_ || !work.statement_running) return {};
      return {Kind::cancel_statement, std::nullopt};
    case TimeoutKind::cancel_grace:
      if (!lease_ || !work.statement_running) return {};
      return {Kind::stop,
              Failure{"statement_timeout", "", "server connection lost: statement did not stop after cancel"}};
    case TimeoutKind::idle_transaction_timeout:
      if (!lease_ || work.statement_running || !work.in_transaction) return {};
      return {Kind::stop, Failure{"idle_transaction_timeout", "", "idle transaction timeout"}};
    case TimeoutKind::client_idle_timeout:
      if (!idle_between_transactions(work)) return {};
      return {Kind::stop, Failure{"client_idle_timeout", "", "client_idle_timeout: closing idle connection"}};
    case TimeoutKind::idle_trim: return {};  // the session trims itself; nothing to decide
  }
  return {};
}

SettlePlan SessionCore::settle_plan(const WorkState& work) const {
  const bool server_lost = stop_reason_ && stop_reason_->reason == "server_lost";
  if (server_lost) return SettlePlan::discard;
  if (work.statement_running) return SettlePlan::cancel_then_discard;
  if (work.partial) return SettlePlan::discard;
  // What pins (a LISTEN, a temporary table, a lock) must not reach the next client.
  if (work.pinned) return SettlePlan::discard;
  if (work.in_transaction) return SettlePlan::roll_back_then_release;
  return SettlePlan::release;
}

}  // namespace sluice::session
