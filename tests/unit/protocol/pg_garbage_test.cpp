// Thousands of random and mutated inputs: the scanner, the readers and
// parse_startup must never crash, read out of bounds or break their contracts.
// (Run under SLUICE_SANITIZE=ON to make "never read out of bounds" checked.)
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/startup.hpp"
#include "sluice/protocol/postgres/writers.hpp"

using namespace sluice::pg;

namespace {

std::vector<std::uint8_t> random_bytes(std::mt19937& random, std::size_t max_size) {
  std::vector<std::uint8_t> bytes(std::uniform_int_distribution<std::size_t>(0, max_size)(random));
  for (auto& byte : bytes) byte = static_cast<std::uint8_t>(random());
  return bytes;
}

// Small lengths and bytes from the protocol's alphabet reach deeper than uniform noise.
std::vector<std::uint8_t> plausible_bytes(std::mt19937& random, std::size_t max_size) {
  static constexpr std::uint8_t kAlphabet[] = {0, 0, 0, 1, 3, 4, 5, 8, 10, 'S', 'V', 'C', 'M', 'D',
                                               'Z', 'I', 'T', 'E', 'a', '=', 0xff, 0x7f, 0x80};
  auto bytes = random_bytes(random, max_size);
  for (auto& byte : bytes) {
    if (random() % 2) byte = kAlphabet[random() % sizeof(kAlphabet)];
  }
  return bytes;
}

// Messages with random types and small, sometimes invalid, lengths around random bodies.
std::vector<std::uint8_t> framed_garbage(std::mt19937& random, std::size_t max_size) {
  std::vector<std::uint8_t> bytes;
  while (bytes.size() < max_size) {
    const auto body = plausible_bytes(random, 40);
    std::uint32_t length = static_cast<std::uint32_t>(body.size() + 4);
    if (random() % 64 == 0) length = static_cast<std::uint32_t>(random() % 4);
    bytes.push_back(static_cast<std::uint8_t>(random()));
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(length >> shift));
    bytes.insert(bytes.end(), body.begin(), body.end());
  }
  // Cut anywhere, so messages straddle chunks.
  bytes.resize(std::uniform_int_distribution<std::size_t>(0, bytes.size())(random));
  return bytes;
}

// Every reader on one body; checks only that views stay inside it.
void read_everything(std::span<const std::uint8_t> body) {
  const auto* begin = reinterpret_cast<const char*>(body.data());
  const auto* end = begin + body.size();
  auto inside = [&](std::string_view view) {
    return view.empty() || (view.data() >= begin && view.data() + view.size() <= end);
  };
  if (auto auth = read_authentication(body)) {
    CHECK(auth->data.size() + 4 == body.size());
    CHECK(read_sasl_mechanisms(auth->data).size() <= kMaxSaslMechanisms);
  }
  CHECK(read_sasl_mechanisms(body).size() <= kMaxSaslMechanisms);
  if (auto status = read_parameter_status(body)) CHECK((inside(status->name) && inside(status->value)));
  read_backend_key_data(body);
  if (auto status = read_ready_for_query(body)) CHECK(std::string_view("ITE").find(*status) != std::string_view::npos);
  if (auto fields = read_error_fields(body)) CHECK(fields->message.size() < body.size());
  if (auto password = read_password_message(body)) CHECK(inside(*password));
  if (auto sasl = read_sasl_initial_response(body)) CHECK((inside(sasl->mechanism) && inside(sasl->data)));
  if (auto query = read_query(body)) CHECK(inside(*query));
}

void check_startup(std::span<const std::uint8_t> bytes) {
  const auto result = parse_startup(bytes);
  switch (result.status) {
    case ParseStatus::complete:
      CHECK(result.consumed >= kMinStartupPacketLength);
      CHECK(result.consumed <= std::min(bytes.size(), kMaxStartupPacketLength));
      if (result.packet.kind == StartupKind::startup) CHECK(result.packet.find("user") != nullptr);
      break;
    case ParseStatus::need_more: CHECK(result.consumed == 0); break;
    case ParseStatus::malformed: CHECK_FALSE(result.error.empty()); break;
  }
}

}  // namespace

TEST_CASE("random garbage chunks never break the scanner or the readers", "[pg][garbage]") {
  std::mt19937 random(7);
  int messages = 0, errors = 0;
  for (std::uint64_t max : {std::uint64_t{64}, std::uint64_t{4096}, std::uint64_t{1} << 30}) {
    MessageScanner scanner(max);
    for (int round = 0; round < 3000; ++round) {
      const auto chunk = round % 3 == 0   ? random_bytes(random, 300)
                         : round % 3 == 1 ? plausible_bytes(random, 300)
                                          : framed_garbage(random, 300);
      std::size_t previous_end = 0;
      const auto result = scanner.scan(std::span<const std::uint8_t>(chunk), [&](const MessageView& view) {
        CHECK(view.end >= previous_end);
        CHECK(view.end <= chunk.size());
        CHECK(view.length >= 4);
        CHECK(view.length <= max);
        CHECK(view.body.size() == std::min<std::size_t>(view.length - 4, kCaptureLimit));
        CHECK(view.body_truncated == (view.length - 4 > kCaptureLimit));
        previous_end = view.end;
        ++messages;
        read_everything(view.body);
        return random() % 8 != 0;  // sometimes stop early
      });
      CHECK(result.consumed <= chunk.size());
      if (result.error != ScanError::none) {
        CHECK(scanner.error() == result.error);
        ++errors;
        scanner.reset();
      }
      read_everything(chunk);
    }
  }
  // The garbage reached both the message path and the error path.
  CHECK(messages > 1000);
  CHECK(errors > 1000);
}

TEST_CASE("random garbage never breaks parse_startup", "[pg][garbage]") {
  std::mt19937 random(11);
  for (int round = 0; round < 5000; ++round) {
    auto bytes = round % 2 ? random_bytes(random, 64) : plausible_bytes(random, 64);
    // Half the time, a plausible length and code in front.
    if (round % 4 < 2 && bytes.size() >= 8) {
      const std::uint32_t length = std::uniform_int_distribution<std::uint32_t>(0, 80)(random);
      const std::uint32_t codes[] = {kProtocolVersion3, kSslRequestCode, kCancelRequestCode,
                                     kGssEncRequestCode, 2u << 16, (3u << 16) | 7u};
      const std::uint32_t code = codes[random() % std::size(codes)];
      for (int i = 0; i < 4; ++i) {
        bytes[i] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
        bytes[4 + i] = static_cast<std::uint8_t>(code >> (24 - 8 * i));
      }
    }
    check_startup(bytes);
  }
}

TEST_CASE("mutated valid startup packets never break parse_startup", "[pg][garbage]") {
  std::mt19937 random(13);
  std::string valid;
  const std::vector<std::pair<std::string, std::string>> parameters = {
      {"user", "alice"}, {"database", "shop"}, {"application_name", "garbage-test"}};
  write_startup_message(valid, parameters);
  for (int round = 0; round < 5000; ++round) {
    std::string mutated = valid;
    const int flips = std::uniform_int_distribution<int>(1, 4)(random);
    for (int i = 0; i < flips; ++i) mutated[random() % mutated.size()] = static_cast<char>(random());
    mutated.resize(random() % (mutated.size() + 8), '\0');
    check_startup(bytes_of(mutated));
  }
}
