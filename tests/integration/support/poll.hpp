// Waiting for something another process does (a backend closing, a pool settling): poll with a
// deadline instead of sleeping a fixed time, so a fast machine is fast and a slow one still passes.
#pragma once

#include <chrono>
#include <thread>

#include "process.hpp"

namespace sluice_it {

using Ms = std::chrono::milliseconds;

inline Ms since(Clock::time_point start) {
    return std::chrono::duration_cast<Ms>(Clock::now() - start);
}

// Polls `condition` until it holds or `timeout` passes; returns its last value.
template <typename Condition>
bool eventually(Condition condition, Ms timeout = Ms(5000), Ms interval = Ms(25)) {
    auto deadline = Clock::now() + timeout;
    while (!condition()) {
        if (Clock::now() >= deadline) return condition();
        std::this_thread::sleep_for(interval);
    }
    return true;
}

}  // namespace sluice_it
