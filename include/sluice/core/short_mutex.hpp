#pragma once
// A mutex for critical sections of a few pointer operations that sessions on several I/O
// worker threads take for every lease (a pool's lists). A plain pthread mutex puts a contender
// to sleep at once: a futex call to sleep and another to wake it, each dearer than the whole
// critical section (measured: 0.7 futex calls per MySQL query with two workers). This one
// first spins a little, which finds the lock free again almost always when its holder runs on
// another core, and sleeps only if it does not (a holder preempted, or one core).
#include <mutex>

namespace sluice {

class ShortMutex {
 public:
  void lock() {
    for (int spin = 0; spin < kSpins; ++spin) {
      if (mutex_.try_lock()) return;
      pause();
    }
    mutex_.lock();
  }
  bool try_lock() { return mutex_.try_lock(); }
  void unlock() { mutex_.unlock(); }

 private:
  static void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();  // tells the core it is a spin-wait: yields to its sibling thread
#endif
  }
  // A microsecond or two of pauses: many times the critical sections it guards.
  static constexpr int kSpins = 32;
  std::mutex mutex_;
};

}  // namespace sluice
