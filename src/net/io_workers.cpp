#include "sluice/net/io_workers.hpp"

#include "sluice/net/idle_watcher.hpp"

#include <algorithm>
#include <thread>

namespace sluice::net {

IoWorkers::IoWorkers(int count) {
  const int workers = std::max(1, count);
  for (int i = 0; i < workers; ++i) {
    // Concurrency hint 1: one thread runs each context, so Asio's scheduler may skip work
    // it would do for several; other threads still post to it (the janitor, pools) safely.
    contexts_.push_back(std::make_unique<Context>(1));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
    // Made now, not at the first parked client: a worker's descriptors are all open from the start.
    asio::use_service<IdleWatcher>(*contexts_.back());
  }
}

asio::io_context& IoWorkers::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void IoWorkers::run() {
  std::vector<std::jthread> threads;
  for (std::size_t i = 1; i < contexts_.size(); ++i) threads.emplace_back([this, i] { contexts_[i]->run(); });
  contexts_.front()->run();
}

void IoWorkers::stop() {
  for (auto& context : contexts_) context->stop();
}

void IoWorkers::destroy_pending_handlers() {
  guards_.clear();
  // Twice: a handler destroyed in one context may post to another already shut down (a
  // session's last reference giving a backend back); the second pass destroys that too.
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& context : contexts_) context->shutdown();
  }
}

}  // namespace sluice::net
