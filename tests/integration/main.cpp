// Entry point of sluice_integration_tests: Catch2's runner plus the cleanup that must happen
// however the run ends (normal exit, a failed test, Ctrl-C or SIGTERM from CTest).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include "support/mariadb_server.hpp"
#include "support/postgres_server.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

// Lets SluiceProcess print its log when the test that owns it has failed.
class FailureTracker : public Catch::TestEventListenerBase {
public:
    using TestEventListenerBase::TestEventListenerBase;

    void testCaseStarting(Catch::TestCaseInfo const& info) override {
        sluice_it::set_current_test_failed(false);
        TestEventListenerBase::testCaseStarting(info);
    }

    bool assertionEnded(Catch::AssertionStats const& stats) override {
        if (!stats.assertionResult.isOk()) sluice_it::set_current_test_failed(true);
        return TestEventListenerBase::assertionEnded(stats);
    }
};

// Kills our PostgreSQL and Sluice children, then dies of the same signal.
void on_terminating_signal(int signal) {
    sluice_it::kill_registered_children();
    ::signal(signal, SIG_DFL);
    raise(signal);
}

void install_signal_handlers() {
    ::signal(SIGPIPE, SIG_IGN);
    for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::signal(signal, on_terminating_signal);
}

}  // namespace

CATCH_REGISTER_LISTENER(FailureTracker)

int main(int argc, char* argv[]) {
    install_signal_handlers();
    int result = Catch::Session().run(argc, argv);
    sluice_it::stop_shared_postgres();
    sluice_it::stop_shared_mariadb();
    return result;
}
