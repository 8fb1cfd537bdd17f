// A fresh directory /tmp/<prefix>-<pid>-XXXXXX, removed with everything in it on destruction
// (kept when SLUICE_IT_KEEP_TMP=1, for debugging).
#pragma once

#include <string>

namespace sluice_it {

class TempDir {
public:
    explicit TempDir(const std::string& prefix = "sluice-it-tmp");
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

// Whether the running test case has a failed assertion (set by the Catch listener in main.cpp).
bool current_test_failed();
void set_current_test_failed(bool failed);

}  // namespace sluice_it
