#include "sluice/auth/client_ed25519_signature.hpp"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <initializer_list>

#include "sluice/auth/client_ed25519.hpp"

namespace sluice::auth {
namespace {

constexpr std::size_t scalar_length = crypto_core_ed25519_SCALARBYTES;              // 32
constexpr std::size_t wide_scalar_length = crypto_core_ed25519_NONREDUCEDSCALARBYTES;  // 64
constexpr std::size_t point_length = crypto_core_ed25519_BYTES;                    // 32

using Scalar = std::array<unsigned char, scalar_length>;
using Point = std::array<unsigned char, point_length>;
using Digest = std::array<unsigned char, crypto_hash_sha512_BYTES>;

// Secrets are wiped when they go out of scope, on every path.
template <class Bytes>
struct Wiped {
  Bytes bytes{};
  ~Wiped() { sodium_memzero(bytes.data(), bytes.size()); }
};

// SHA-512 of the parts, one after another, reduced mod L into `scalar`.
void hash_to_scalar(Scalar& scalar, std::initializer_list<std::string_view> parts) {
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  for (const auto part : parts) {
    crypto_hash_sha512_update(&state, reinterpret_cast<const unsigned char*>(part.data()), part.size());
  }
  Wiped<Digest> digest;
  crypto_hash_sha512_final(&state, digest.bytes.data());
  crypto_core_ed25519_scalar_reduce(scalar.data(), digest.bytes.data());
}

std::string_view text_of(const unsigned char* bytes, std::size_t length) {
  return {reinterpret_cast<const char*>(bytes), length};
}

}  // namespace

std::optional<std::string> client_ed25519_signature(std::string_view password, std::string_view nonce) {
  if (sodium_init() < 0) return std::nullopt;
  Wiped<Digest> h;
  crypto_hash_sha512(h.bytes.data(), reinterpret_cast<const unsigned char*>(password.data()), password.size());
  // a = clamp(h[0..32]), as RFC 8032 clamps; reduced mod L for the scalar product below (a·B
  // is the same point either way, L being the base point's order).
  Wiped<std::array<unsigned char, wide_scalar_length>> wide_a;
  std::memcpy(wide_a.bytes.data(), h.bytes.data(), scalar_length);
  wide_a.bytes[0] &= 248;
  wide_a.bytes[31] &= 127;
  wide_a.bytes[31] |= 64;
  Wiped<Scalar> a;
  crypto_core_ed25519_scalar_reduce(a.bytes.data(), wide_a.bytes.data());
  Point public_key{}, commitment{};
  if (crypto_scalarmult_ed25519_base_noclamp(public_key.data(), a.bytes.data()) != 0) return std::nullopt;
  // r = SHA-512(h[32..64] || nonce) mod L, the deterministic nonce; R = r·B.
  Wiped<Scalar> r;
  hash_to_scalar(r.bytes, {text_of(h.bytes.data() + scalar_length, scalar_length), nonce});
  if (crypto_scalarmult_ed25519_base_noclamp(commitment.data(), r.bytes.data()) != 0) return std::nullopt;
  // S = r + SHA-512(R || A || nonce)·a mod L.
  Scalar k{};
  hash_to_scalar(k, {text_of(commitment.data(), commitment.size()), text_of(public_key.data(), public_key.size()),
                     nonce});
  Wiped<Scalar> ka, s;
  crypto_core_ed25519_scalar_mul(ka.bytes.data(), k.data(), a.bytes.data());
  crypto_core_ed25519_scalar_add(s.bytes.data(), r.bytes.data(), ka.bytes.data());
  std::string signature(text_of(commitment.data(), commitment.size()));
  signature.append(text_of(s.bytes.data(), s.bytes.size()));
  static_assert(point_length + scalar_length == ed25519_signature_length);
  return signature;
}

}  // namespace sluice::auth
