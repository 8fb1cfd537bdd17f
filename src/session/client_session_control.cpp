// ClientSession, part four: what other threads may ask of a session — a timeout found by
// the janitor, a request to leave (drain), a KILL. Each is posted to the session's worker.
#include <spdlog/spdlog.h>

#include "sluice/session/client_session.hpp"

namespace sluice::session {

namespace {
// How long a cancelled statement may take to stop before its backend is closed.
constexpr std::chrono::milliseconds kCancelGrace{2000};
}  // namespace

void ClientSession::check_timeouts(TimePoint now) {
  const auto kind = clock_.tripped(now, kCancelGrace);
  if (!kind) return;
  auto self = weak_from_this().lock();
  if (!self || !clock_.claim_timeout()) return;
  asio::post(client_.get_executor(), [self = std::move(self), kind = *kind] {
    self->on_timeout(kind);
    self->clock_.timeout_handled();
  });
}

void ClientSession::request_stop(Failure reason) {
  auto self = weak_from_this().lock();
  if (!self) return;
  asio::post(client_.get_executor(), [self = std::move(self), reason = std::move(reason)]() mutable {
    if (self->core_.request_stop(std::move(reason), self->frontend_->work_state())) {
      self->stop(*self->core_.stop_reason());
    }
  });
}

void ClientSession::kill(Failure reason) {
  auto self = weak_from_this().lock();
  if (!self) return;
  asio::post(client_.get_executor(), [self = std::move(self), reason = std::move(reason)]() mutable {
    self->stop(std::move(reason));
  });
}

void ClientSession::cancel_requested() {
  auto self = weak_from_this().lock();
  if (!self) return;
  asio::post(client_.get_executor(), [self = std::move(self)] { self->on_client_cancel(); });
}

void ClientSession::on_client_cancel() {
  if (core_.stopping() || !busy_) return;  // parked or leaving: nothing of its own runs
  Busy& work = busy();
  if (work.leasing) {  // queued, or the backend is being brought to the client's session
    work.cancel_when_leased = true;
    return;
  }
  if (!core_.has_lease()) return;
  // Nothing running (its answer is complete; the backend may be on its way back), or a cancel of
  // ours already on its way: nothing to send.
  if (!frontend_->work_state().statement_running || work.cancel_in_flight) return;
  start_cancel();
}

// On the session's worker: re-check (the state may have moved on since the sweep), then act.
void ClientSession::on_timeout(TimeoutKind kind) {
  if (kind == TimeoutKind::idle_trim) {
    trim_idle();
    return;
  }
  switch (kind) {
    case TimeoutKind::statement_timeout: clock_.statement_finished(); break;
    case TimeoutKind::cancel_grace: clock_.cancel_settled(); break;
    case TimeoutKind::idle_transaction_timeout: clock_.not_idle_in_transaction(); break;
    case TimeoutKind::client_idle_timeout: clock_.client_busy(); break;
    case TimeoutKind::idle_trim: break;
  }
  auto action = core_.on_timeout(kind, frontend_->work_state());
  switch (action.kind) {
    case TimeoutAction::Kind::none: return;
    case TimeoutAction::Kind::cancel_statement:
      spdlog::warn("statement_timeout: cancelling statement of user={} database={} address={}:{}", user(), database(),
                   address(), port_);
      context_.metrics.count_timeout("statement_timeout");
      frontend_->statement_timed_out();
      clock_.cancel_sent(Clock::now());
      start_cancel();
      return;
    case TimeoutAction::Kind::stop:
      if (kind == TimeoutKind::cancel_grace) {
        spdlog::warn("statement_timeout: cancel did not take effect; closing backend of user={} database={}", user(),
                     database());
      }
      stop(std::move(*action.failure));
      return;
  }
}

// Idle for SessionClock::kTrimAfterMs: the front end drops its readers, and a client waiting
// with no backend and nothing half-read leaves its coroutines (relay_client sees the cancel
// and returns; serve_client parks it). A client holding a backend (session mode, or idle in a
// transaction) keeps its frames: its pump is reading the server.
void ClientSession::trim_idle() {
  clock_.trimmed();
  frontend_->trim_idle();
  if (waiting_idle_ && !core_.has_lease() && !pump_running_ && !core_.stopping()) {
    park_requested_ = true;
    error_code ignored;
    client_.cancel(ignored);
  }
}

}  // namespace sluice::session
