// A throwaway certificate authority made with the openssl command line, per test: nothing
// is checked in. Files: ca.crt, server.crt/server.key (for localhost and 127.0.0.1, signed by
// ca), client.crt/client.key (CN as asked, signed by ca), other_ca.crt (an unrelated CA).
#pragma once

#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace sluice_it {

class TestCa {
public:
    // Throws with openssl's output if a step fails.
    explicit TestCa(const std::string& client_common_name = "sluice");
    std::string file(const std::string& name) const { return dir_.file(name); }
    const std::string& dir() const { return dir_.path(); }

private:
    void openssl(const std::vector<std::string>& arguments) const;
    TempDir dir_;
};

}  // namespace sluice_it
