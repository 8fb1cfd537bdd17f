#include "test_ca.hpp"

#include <stdexcept>
#include <vector>

#include "process.hpp"

namespace sluice_it {

void TestCa::openssl(const std::vector<std::string>& arguments) const {
    std::vector<std::string> argv = {"/usr/bin/openssl"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    CommandResult result = run_command(argv);
    if (result.exit_code != 0) throw std::runtime_error("openssl " + arguments.front() + " failed:\n" + result.output);
}

TestCa::TestCa(const std::string& client_common_name) : dir_("sluice-it-ca") {
    const auto key = [](const std::string& path) {
        return std::vector<std::string>{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                                        "-out", path};
    };
    for (const std::string name : {"ca", "other_ca", "server", "client"}) openssl(key(file(name + ".key")));
    for (const std::string name : {"ca", "other_ca"}) {
        openssl({"req", "-new", "-x509", "-key", file(name + ".key"), "-out", file(name + ".crt"), "-days", "2",
                 "-subj", "/CN=Sluice test " + name, "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
    }
    write_file(file("server.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    write_file(file("client.ext"), "extendedKeyUsage=clientAuth\n");
    const auto sign = [&](const std::string& name, const std::string& subject) {
        openssl({"req", "-new", "-key", file(name + ".key"), "-out", file(name + ".csr"), "-subj", subject});
        openssl({"x509", "-req", "-in", file(name + ".csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"),
                 "-CAcreateserial", "-out", file(name + ".crt"), "-days", "2", "-extfile", file(name + ".ext")});
    };
    sign("server", "/CN=localhost");
    sign("client", "/CN=" + client_common_name);
}

}  // namespace sluice_it
