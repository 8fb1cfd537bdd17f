// The basic data types inside a packet's payload (MySQL docs: "Basic Data Types"): fixed-length
// integers, Protocol::LengthEncodedInteger, and strings (fixed, NUL-terminated, length-encoded,
// rest-of-packet). PayloadReader reads them from untrusted bytes; the append_* functions write them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/protocol/mysql/byte_order.hpp"

namespace sluice::mysql {

// First bytes of a length-encoded integer: below 0xFB the byte is the value.
namespace lenenc {
inline constexpr std::uint8_t kNull = 0xFB;       // NULL in a text result row; not an integer
inline constexpr std::uint8_t kTwoBytes = 0xFC;   // int<2> follows
inline constexpr std::uint8_t kThreeBytes = 0xFD; // int<3> follows
inline constexpr std::uint8_t kEightBytes = 0xFE; // int<8> follows
inline constexpr std::uint8_t kInvalid = 0xFF;    // an ERR packet's header, never an integer
}  // namespace lenenc

// Bytes a length-encoded integer takes: 1, 3, 4 or 9.
std::size_t lenenc_int_size(std::uint64_t value);
// The shortest encoding, as MySQL writes it.
void append_lenenc_int(std::string& out, std::uint64_t value);
void append_lenenc_string(std::string& out, std::string_view text);
// string<NUL>: `text` cut at its first NUL, so caller text can never shift the fields after it.
void append_null_terminated(std::string& out, std::string_view text);

// Length of the length-encoded integer starting `bytes` (1, 3, 4 or 9), or nullopt if the first
// byte is 0xFB/0xFF or `bytes` is empty. Does not check that the rest is present.
std::optional<std::size_t> lenenc_int_length(std::span<const std::uint8_t> bytes);

// A bounds-checked cursor over one payload. Every read either succeeds in full or returns
// nullopt/false and leaves the cursor where it was; every length read from the wire is checked
// against the bytes remaining before anything is taken.
class PayloadReader {
 public:
  explicit PayloadReader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - offset_; }
  bool at_end() const { return offset_ == bytes_.size(); }
  std::size_t offset() const { return offset_; }

  std::optional<std::uint8_t> read_u8();
  std::optional<std::uint16_t> read_u16();
  std::optional<std::uint32_t> read_u24();
  std::optional<std::uint32_t> read_u32();
  std::optional<std::uint64_t> read_u64();
  // int<lenenc>; nullopt for 0xFB (NULL) and 0xFF, or when truncated.
  std::optional<std::uint64_t> read_lenenc_int();
  // string<lenenc>: the length must fit in what remains.
  std::optional<std::string_view> read_lenenc_string();
  // string<NUL>: the view excludes the NUL, the cursor moves past it.
  std::optional<std::string_view> read_null_terminated();
  // string<fix>
  std::optional<std::string_view> read_string(std::size_t length);
  std::optional<std::span<const std::uint8_t>> read_bytes(std::size_t length);
  bool skip(std::size_t length);
  // string<EOF>: everything left.
  std::string_view read_rest();

 private:
  const std::uint8_t* position() const { return bytes_.data() + offset_; }

  std::span<const std::uint8_t> bytes_;
  std::size_t offset_ = 0;
};

}  // namespace sluice::mysql
