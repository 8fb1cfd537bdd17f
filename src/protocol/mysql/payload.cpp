#include "sluice/protocol/mysql/payload.hpp"

#include <cstring>

namespace sluice::mysql {

std::size_t lenenc_int_size(std::uint64_t value) {
  if (value < lenenc::kNull) return 1;
  if (value <= 0xFFFF) return 3;
  if (value <= 0xFFFFFF) return 4;
  return 9;
}

void append_lenenc_int(std::string& out, std::uint64_t value) {
  switch (lenenc_int_size(value)) {
    case 1: out.push_back(static_cast<char>(value)); return;
    case 3: out.push_back(static_cast<char>(lenenc::kTwoBytes)); return append_le(out, value, 2);
    case 4: out.push_back(static_cast<char>(lenenc::kThreeBytes)); return append_le(out, value, 3);
    default: out.push_back(static_cast<char>(lenenc::kEightBytes)); return append_le(out, value, 8);
  }
}

void append_lenenc_string(std::string& out, std::string_view text) {
  append_lenenc_int(out, text.size());
  out.append(text);
}

void append_null_terminated(std::string& out, std::string_view text) {
  out.append(text.substr(0, text.find('\0')));
  out.push_back('\0');
}

std::optional<std::size_t> lenenc_int_length(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return std::nullopt;
  switch (bytes[0]) {
    case lenenc::kNull:
    case lenenc::kInvalid: return std::nullopt;
    case lenenc::kTwoBytes: return 3;
    case lenenc::kThreeBytes: return 4;
    case lenenc::kEightBytes: return 9;
    default: return 1;
  }
}

std::optional<std::uint8_t> PayloadReader::read_u8() {
  if (remaining() < 1) return std::nullopt;
  return bytes_[offset_++];
}

std::optional<std::uint16_t> PayloadReader::read_u16() {
  if (remaining() < 2) return std::nullopt;
  const auto value = load_le16(position());
  offset_ += 2;
  return value;
}

std::optional<std::uint32_t> PayloadReader::read_u24() {
  if (remaining() < 3) return std::nullopt;
  const auto value = load_le24(position());
  offset_ += 3;
  return value;
}

std::optional<std::uint32_t> PayloadReader::read_u32() {
  if (remaining() < 4) return std::nullopt;
  const auto value = load_le32(position());
  offset_ += 4;
  return value;
}

std::optional<std::uint64_t> PayloadReader::read_u64() {
  if (remaining() < 8) return std::nullopt;
  const auto value = load_le64(position());
  offset_ += 8;
  return value;
}

std::optional<std::uint64_t> PayloadReader::read_lenenc_int() {
  const auto length = lenenc_int_length(bytes_.subspan(offset_));
  if (!length || remaining() < *length) return std::nullopt;
  const std::uint8_t* bytes = position();
  std::uint64_t value = 0;
  switch (*length) {
    case 1: value = bytes[0]; break;
    case 3: value = load_le16(bytes + 1); break;
    case 4: value = load_le24(bytes + 1); break;
    default: value = load_le64(bytes + 1); break;
  }
  offset_ += *length;
  return value;
}

std::optional<std::string_view> PayloadReader::read_lenenc_string() {
  const std::size_t start = offset_;
  const auto length = read_lenenc_int();
  if (!length) return std::nullopt;
  if (*length > remaining()) {
    offset_ = start;
    return std::nullopt;
  }
  return read_string(static_cast<std::size_t>(*length));
}

std::optional<std::string_view> PayloadReader::read_null_terminated() {
  if (remaining() == 0) return std::nullopt;
  const auto* start = position();
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(start, 0, remaining()));
  if (nul == nullptr) return std::nullopt;
  const auto length = static_cast<std::size_t>(nul - start);
  offset_ += length + 1;
  return std::string_view(reinterpret_cast<const char*>(start), length);
}

std::optional<std::string_view> PayloadReader::read_string(std::size_t length) {
  const auto bytes = read_bytes(length);
  if (!bytes) return std::nullopt;
  return as_text(*bytes);
}

std::optional<std::span<const std::uint8_t>> PayloadReader::read_bytes(std::size_t length) {
  if (remaining() < length) return std::nullopt;
  const auto view = bytes_.subspan(offset_, length);
  offset_ += length;
  return view;
}

bool PayloadReader::skip(std::size_t length) {
  if (remaining() < length) return false;
  offset_ += length;
  return true;
}

std::string_view PayloadReader::read_rest() {
  const auto rest = as_text(bytes_.subspan(offset_));
  offset_ = bytes_.size();
  return rest;
}

}  // namespace sluice::mysql
