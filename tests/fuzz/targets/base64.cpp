// Base64 as SCRAM reads it from the network (salts, proofs, signatures, c= echoes).
// The decoder is strict, so decoding then encoding must give back the very text, and
// encoding then decoding must give back the very bytes.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/auth/base64.hpp"
#include "sluice/auth/scram_crypto.hpp"

int sluice_fuzz_base64(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  const std::span<const std::uint8_t> bytes(data, size);
  const std::string_view text = fuzz::as_text(bytes);

  if (const auto decoded = auth::base64_decode(text)) {
    SLUICE_FUZZ_CHECK(auth::base64_encode(*decoded) == text);
  }
  const std::string encoded = auth::base64_encode(bytes);
  SLUICE_FUZZ_CHECK(encoded.size() == (size + 2) / 3 * 4);
  const auto round_trip = auth::base64_decode(encoded);
  SLUICE_FUZZ_CHECK(round_trip && *round_trip == text);

  if (const auto key = auth::decode_scram_key(text)) {
    SLUICE_FUZZ_CHECK(text.size() == 44 && auth::base64_encode(*key) == text);
  }
  return 0;
}
