// Large results stream through Sluice with bounded memory: a 200 MB result read slowly by the
// client must not pile up inside the proxy.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "support/harness.hpp"

using namespace sluice_it;

namespace {

constexpr long kRows = 200000;
constexpr int kRowBytes = 1000;
// Growth, not absolute RSS: a sanitizer build starts near 100 MB (shadow memory) but must not
// grow more than an uninstrumented one does.
constexpr long kRssGrowthLimitKib = 48 * 1024;

}  // namespace

TEST_CASE("a 200 MB result streams through sluice in bounded memory", "[pg][memory][streaming]") {
    SluiceProcess sluice;
    Connection conn = connect(sluice.conninfo("app", "app"));
    REQUIRE(query_value(conn, "select 1") == "1");
    long rss_before = sluice.rss_kib();

    // Samples VmRSS until destroyed (also when an assertion throws).
    struct RssSampler {
        std::atomic<bool> done{false};
        std::atomic<long> max_rss{0};
        std::thread thread;
        explicit RssSampler(SluiceProcess& sluice)
            : thread([this, &sluice] {
                  while (!done.load()) {
                      long rss = sluice.rss_kib();
                      if (rss > max_rss.load()) max_rss.store(rss);
                      std::this_thread::sleep_for(20ms);
                  }
              }) {}
        ~RssSampler() { stop(); }
        void stop() {
            done.store(true);
            if (thread.joinable()) thread.join();
        }
    } sampler(sluice);

    long rows = 0;
    long wrong_length = 0;
    std::string failure;
    try {
        REQUIRE(PQsendQuery(conn, ("select repeat('x', " + std::to_string(kRowBytes) +
                                   ") from generate_series(1, " + std::to_string(kRows) + ")").c_str()) == 1);
        REQUIRE(PQsetSingleRowMode(conn) == 1);
        auto deadline = Clock::now() + 120s;
        for (;;) {
            while (PQisBusy(conn)) {
                if (!wait_readable(conn, deadline)) throw PgTimeout("streaming timed out");
                if (PQconsumeInput(conn) == 0) break;
            }
            PgResult result(PQgetResult(conn));
            if (!result) break;
            ExecStatusType status = PQresultStatus(result.get());
            if (status == PGRES_SINGLE_TUPLE) {
                ++rows;
                if (PQgetlength(result.get(), 0, 0) != kRowBytes) ++wrong_length;
                // A slow reader: PostgreSQL produces faster than we consume.
                if (rows % 20000 == 0) std::this_thread::sleep_for(150ms);
            } else if (status != PGRES_TUPLES_OK) {
                failure = describe(result.get());
            }
        }
    } catch (const std::exception& error) {
        failure = error.what();
    }
    sampler.stop();
    long max_rss = sampler.max_rss.load();

    INFO("rss before " << rss_before << " KiB, max during " << max_rss << " KiB; " << failure);
    CHECK(failure.empty());
    CHECK(rows == kRows);
    CHECK(wrong_length == 0);
    CHECK(max_rss > 0);
    CHECK(max_rss - rss_before < kRssGrowthLimitKib);
    CHECK(query_value(conn, "select 'after'") == "after");
}
