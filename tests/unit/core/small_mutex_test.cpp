#include "sluice/core/small_mutex.hpp"

#include <catch2/catch.hpp>

#include <mutex>
#include <thread>
#include <vector>

using sluice::core::SmallMutex;

TEST_CASE("SmallMutex: four bytes, and try_lock fails while held", "[small_mutex]") {
  STATIC_REQUIRE(sizeof(SmallMutex) == 4);
  SmallMutex mutex;
  REQUIRE(mutex.try_lock());
  CHECK_FALSE(mutex.try_lock());
  mutex.unlock();
  CHECK(mutex.try_lock());
  mutex.unlock();
}

TEST_CASE("SmallMutex: contended increments from four threads lose none", "[small_mutex]") {
  SmallMutex mutex;
  std::uint64_t counter = 0;  // plain: only the lock makes the increments safe
  constexpr int kThreads = 4;
  constexpr int kEach = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        std::lock_guard lock(mutex);
        ++counter;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(counter == std::uint64_t{kThreads} * kEach);
}

TEST_CASE("SmallMutex: a waiter sleeps until the holder unlocks", "[small_mutex]") {
  SmallMutex mutex;
  std::atomic<bool> entered{false};
  mutex.lock();
  std::thread waiter([&] {
    std::lock_guard lock(mutex);
    entered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(entered.load());
  mutex.unlock();
  waiter.join();
  CHECK(entered.load());
}
