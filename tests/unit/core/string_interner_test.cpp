#include "sluice/core/string_interner.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using sluice::core::StringInterner;

TEST_CASE("StringInterner: equal strings are one shared copy, different ones are not", "[interner]") {
  StringInterner strings;
  const std::string values("idle\0UTF8\0ISO, MDY", 18);  // NULs inside, as the reported parameters have
  const auto first = strings.intern(values);
  const auto second = strings.intern(std::string(values));
  const auto other = strings.intern("app\0UTF8");
  CHECK(*first == values);
  CHECK(first.get() == second.get());
  CHECK(first.use_count() == 2);
  CHECK(other.get() != first.get());
  CHECK(strings.size() == 2);
}

TEST_CASE("StringInterner: a string nobody holds is made again, and the table does not grow without bound",
          "[interner]") {
  StringInterner strings;
  const void* was = nullptr;
  {
    const auto held = strings.intern("gone soon");
    was = held.get();
  }
  const auto again = strings.intern("gone soon");
  CHECK(*again == "gone soon");
  CHECK(again.use_count() == 1);  // a fresh string: the old one was freed with its last holder
  (void)was;

  // 10,000 distinct values, each dropped at once (a client varying application_name per login):
  // the sweeps keep the table near what is alive, not near everything ever seen.
  for (int i = 0; i < 10'000; ++i) strings.intern("name " + std::to_string(i));
  CHECK(strings.size() < 200);
}
