// Streaming framer for typed PostgreSQL messages (either direction).
//
// Sans-I/O: the caller hands in whatever bytes the socket gave it; the scanner
// reports each message whose last byte lies in that chunk, with its offsets, so
// the caller can relay whole byte ranges without decoding or copying them.
// It never judges message types and never allocates: a header or body split
// across chunks is carried over in fixed inline buffers (the 5-byte header and
// the first kCaptureLimit bytes of the body).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/header.hpp"

namespace sluice::pg {

// Bodies up to this size are shown whole; longer ones are shown truncated to it.
inline constexpr std::size_t kCaptureLimit = 1024;
static_assert(kCaptureLimit <= UINT16_MAX, "MessageScanner counts captured bytes in 16 bits");

struct MessageView {
  char type;
  std::uint32_t length;  // as on the wire (includes its own 4 bytes)
  // Offset within the current chunk just past this message's last byte.
  std::size_t end;
  // The body if length - 4 <= kCaptureLimit, else its first kCaptureLimit bytes.
  // Points into the chunk, or into the scanner when the message was split;
  // valid only during the on_message call.
  std::span<const std::uint8_t> body;
  bool body_truncated;
};

struct ScanResult {
  ScanError error = ScanError::none;
  // chunk.size(), unless on_message stopped the scan (then: just past that
  // message) or a length was bad (then: just past the last complete message
  // in this chunk, so the bytes before it can still be relayed).
  std::size_t consumed = 0;
};

// Captures the first CaptureLimit body bytes of each message: the client side of a session
// needs none (types and lengths decide routing), the server side only small messages.
template <std::size_t CaptureLimit>
class BasicMessageScanner {
 public:
  using ScanResult = pg::ScanResult;

  explicit BasicMessageScanner(std::uint64_t max_message_length)
      : max_message_length_(max_message_length) {}

  // Walks `chunk`, calling on_message(const MessageView&) for every message
  // whose last byte is in it, in order. on_message may return void, or bool:
  // false stops the scan right after that message (the caller re-feeds the
  // rest later). A bad length is sticky: later scans return it until reset().
  template <class OnMessage>
  ScanResult scan(std::span<const std::uint8_t> chunk, OnMessage&& on_message);

  // No partial message pending.
  bool at_boundary() const { return header_size_ == 0; }
  // Type of the partial message, if its header is complete.
  std::optional<char> pending_type() const;
  // Bytes still to come of the partial message (0 if its header is incomplete).
  std::uint64_t pending_remaining() const { return header_complete() ? body_remaining_ : 0; }
  // The partial message's length field (0 if its header is incomplete).
  std::uint32_t pending_length() const { return header_complete() ? load_be32(header_.data() + 1) : 0; }
  // The sticky error from the last bad length, or none.
  ScanError error() const { return error_; }
  std::uint64_t max_message_length() const { return max_message_length_; }
  void reset();

 private:
  bool header_complete() const { return header_size_ == kHeaderLength; }
  ScanError begin_message(const std::uint8_t* header);
  std::size_t take_body(const std::uint8_t* bytes, std::size_t available);
  MessageView finish_message(std::size_t end);

  template <class OnMessage>
  static bool deliver(OnMessage& on_message, const MessageView& view);

  std::uint64_t max_message_length_;
  ScanError error_ = ScanError::none;
  std::uint8_t header_size_ = 0;     // header bytes held (0..5)
  std::uint32_t body_remaining_ = 0;  // of the pending message; <= kMaxWireLength
  std::uint16_t captured_ = 0;       // body prefix bytes held in capture_
  std::array<std::uint8_t, kHeaderLength> header_{};
  std::array<std::uint8_t, CaptureLimit> capture_;
};

using MessageScanner = BasicMessageScanner<kCaptureLimit>;

template <std::size_t CaptureLimit>
inline std::optional<char> BasicMessageScanner<CaptureLimit>::pending_type() const {
  if (!header_complete()) return std::nullopt;
  return static_cast<char>(header_[0]);
}

template <std::size_t CaptureLimit>
inline void BasicMessageScanner<CaptureLimit>::reset() {
  error_ = ScanError::none;
  header_size_ = 0;
  body_remaining_ = 0;
  captured_ = 0;
}

// Validates a complete header and makes it the pending message.
template <std::size_t CaptureLimit>
inline ScanError BasicMessageScanner<CaptureLimit>::begin_message(const std::uint8_t* header) {
  const std::uint32_t length = load_be32(header + 1);
  error_ = validate_length(length, max_message_length_);
  if (error_ != ScanError::none) return error_;
  if (header != header_.data()) std::memcpy(header_.data(), header, kHeaderLength);
  header_size_ = kHeaderLength;
  body_remaining_ = length - kMinMessageLength;
  captured_ = 0;
  return ScanError::none;
}

// Consumes up to `available` body bytes of the pending message, keeping its prefix.
template <std::size_t CaptureLimit>
inline std::size_t BasicMessageScanner<CaptureLimit>::take_body(const std::uint8_t* bytes, std::size_t available) {
  const std::size_t taken = std::min<std::size_t>(body_remaining_, available);
  const std::size_t kept = std::min(taken, CaptureLimit - captured_);
  if (kept > 0) std::memcpy(capture_.data() + captured_, bytes, kept);
  captured_ = static_cast<std::uint16_t>(captured_ + kept);
  body_remaining_ -= static_cast<std::uint32_t>(taken);
  return taken;
}

// The pending message is complete: describe it and return to a boundary.
template <std::size_t CaptureLimit>
inline MessageView BasicMessageScanner<CaptureLimit>::finish_message(std::size_t end) {
  const std::uint32_t length = load_be32(header_.data() + 1);
  header_size_ = 0;
  return MessageView{static_cast<char>(header_[0]), length, end,
                     std::span<const std::uint8_t>(capture_.data(), captured_),
                     length - kMinMessageLength > CaptureLimit};
}

template <std::size_t CaptureLimit>
template <class OnMessage>
bool BasicMessageScanner<CaptureLimit>::deliver(OnMessage& on_message, const MessageView& view) {
  if constexpr (std::is_void_v<std::invoke_result_t<OnMessage&, const MessageView&>>) {
    on_message(view);
    return true;
  } else {
    return static_cast<bool>(on_message(view));
  }
}

template <std::size_t CaptureLimit>
template <class OnMessage>
ScanResult BasicMessageScanner<CaptureLimit>::scan(std::span<const std::uint8_t> chunk,
                                                OnMessage&& on_message) {
  if (error_ != ScanError::none) return {error_, 0};
  const std::uint8_t* data = chunk.data();
  const std::size_t size = chunk.size();
  std::size_t pos = 0;
  std::size_t last_end = 0;  // just past the last complete message in this chunk
  while (pos < size) {
    if (header_size_ == 0 && size - pos >= kHeaderLength) {
      // Fast path: the header is in the chunk; so may be the whole message.
      const std::uint32_t length = load_be32(data + pos + 1);
      if (validate_length(length, max_message_length_) != ScanError::none) {
        return {begin_message(data + pos), last_end};
      }
      const std::size_t body_start = pos + kHeaderLength;
      const std::size_t body_length = length - kMinMessageLength;
      if (body_length <= size - body_start) {
        const MessageView view{static_cast<char>(data[pos]), length, body_start + body_length,
                               chunk.subspan(body_start, std::min(body_length, CaptureLimit)),
                               body_length > CaptureLimit};
        pos = last_end = view.end;
        if (!deliver(on_message, view)) return {ScanError::none, pos};
        continue;
      }
      begin_message(data + pos);
      pos = body_start;
    } else if (!header_complete()) {
      // Slow path: gather a header split across chunks.
      const std::size_t taken = std::min<std::size_t>(kHeaderLength - header_size_, size - pos);
      std::memcpy(header_.data() + header_size_, data + pos, taken);
      header_size_ = static_cast<std::uint8_t>(header_size_ + taken);
      pos += taken;
      if (!header_complete()) break;
      header_size_ = 0;  // begin_message re-marks it complete once the length is valid
      if (begin_message(header_.data()) != ScanError::none) return {error_, last_end};
    }
    pos += take_body(data + pos, size - pos);
    if (body_remaining_ == 0) {
      const MessageView view = finish_message(pos);
      last_end = pos;
      if (!deliver(on_message, view)) return {ScanError::none, pos};
    }
  }
  return {ScanError::none, size};
}

}  // namespace sluice::pg
