#include <catch2/catch.hpp>

#include <string>

#include "sluice/auth/base64.hpp"

using sluice::auth::base64_decode;
using sluice::auth::base64_encode;

TEST_CASE("base64 matches RFC 4648 test vectors both ways", "[auth]") {
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},         {"f", "Zg=="},        {"fo", "Zm8="},       {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == plain);
  }
}

TEST_CASE("base64 round-trips every byte value", "[auth]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t length = 0; length <= all.size(); length += 37) {
    const std::string bytes = all.substr(0, length);
    CHECK(base64_decode(base64_encode(bytes)) == bytes);
  }
}

TEST_CASE("base64 decoder rejects non-canonical text", "[auth]") {
  const char* const malformed[] = {
      "Zg",    "Zg=",      "Z===",     "====",         "Zh==",  // unused bits set
      "Zm9=",  "Zm9v\n",   " Zm9v",    "Zm=v",         "=Zm9",
      "Zg==Zm9v",          "Zm9vYg==Zm9v", "Zm9v Zm9", "Zm9-",  "Zm9_",
  };
  for (const char* text : malformed) {
    INFO(text);
    CHECK_FALSE(base64_decode(text));
  }
}
