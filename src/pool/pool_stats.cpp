// The words logs and the closed-backends metric use for each CloseReason (pool_stats.hpp).
#include "sluice/pool/pool_stats.hpp"

namespace sluice::pool {

const char* to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::server_lifetime: return "server_lifetime";
    case CloseReason::server_idle_timeout: return "server_idle_timeout";
    case CloseReason::not_reusable: return "not_reusable";
    case CloseReason::login_failed: return "login_failed";
    case CloseReason::pool_shrunk: return "pool_shrunk";
    case CloseReason::pool_closed: return "pool_closed";
    case CloseReason::reconnect: return "reconnect";
    case CloseReason::target_changed: return "target_changed";
    case CloseReason::fair_share: return "fair_share";
    case CloseReason::check_failed: return "server_check_delay";
    case CloseReason::server_gone: return "server_gone";
    case CloseReason::paused: return "pause";
    case CloseReason::count_: break;
  }
  return "unknown";
}

}  // namespace sluice::pool
