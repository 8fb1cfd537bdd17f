// HBA addresses as an operator writes them (sluice.yaml is read on reload, possibly generated):
// what parses must print back to itself and contain its own network address.
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/auth/hba.hpp"

int sluice_fuzz_hba_cidr(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  const std::string_view text = fuzz::as_text(std::span<const std::uint8_t>(data, size));
  std::string error;
  const auto cidr = auth::parse_cidr(text, error);
  if (!cidr) {
    SLUICE_FUZZ_CHECK(!error.empty());
    return 0;
  }
  SLUICE_FUZZ_CHECK(cidr->prefix_length >= 0 && cidr->prefix_length <= (cidr->network.is_v4() ? 32 : 128));
  SLUICE_FUZZ_CHECK(auth::cidr_contains(*cidr, cidr->network));
  const auto again = auth::parse_cidr(auth::format_cidr(*cidr), error);
  SLUICE_FUZZ_CHECK(again && *again == *cidr);
  return 0;
}
