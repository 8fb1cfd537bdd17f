#include "sluice/auth/saslprep.hpp"

#include <unicode/ustring.h>
#include <unicode/usprep.h>

#include <algorithm>
#include <memory>

namespace sluice::auth {

namespace {

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

struct ProfileCloser {
  void operator()(UStringPrepProfile* profile) const { usprep_close(profile); }
};

}  // namespace

std::string saslprep_or_raw(std::string_view password) {
  if (is_ascii(password)) return std::string(password);
  const std::string raw(password);
  UErrorCode status = U_ZERO_ERROR;
  // UTF-8 to UTF-16 (ICU's string type); invalid UTF-8 fails here.
  std::u16string input(password.size(), u'\0');
  int32_t input_length = 0;
  u_strFromUTF8(input.data(), static_cast<int32_t>(input.size()), &input_length, password.data(),
                static_cast<int32_t>(password.size()), &status);
  if (U_FAILURE(status)) return raw;
  input.resize(static_cast<std::size_t>(input_length));

  std::unique_ptr<UStringPrepProfile, ProfileCloser> profile(usprep_openByType(USPREP_RFC4013_SASLPREP, &status));
  if (U_FAILURE(status) || !profile) return raw;
  // NFKC may lengthen a string (a ligature becomes letters): room for that, then once more if needed.
  std::u16string prepared(input.size() * 4 + 16, u'\0');
  int32_t prepared_length = usprep_prepare(profile.get(), input.data(), static_cast<int32_t>(input.size()),
                                           prepared.data(), static_cast<int32_t>(prepared.size()), USPREP_DEFAULT,
                                           nullptr, &status);
  if (status == U_BUFFER_OVERFLOW_ERROR) {
    status = U_ZERO_ERROR;
    prepared.assign(static_cast<std::size_t>(prepared_length), u'\0');
    prepared_length = usprep_prepare(profile.get(), input.data(), static_cast<int32_t>(input.size()), prepared.data(),
                                     static_cast<int32_t>(prepared.size()), USPREP_DEFAULT, nullptr, &status);
  }
  if (U_FAILURE(status)) return raw;  // prohibited, unassigned or mixed-direction characters

  std::string output(static_cast<std::size_t>(prepared_length) * 3, '\0');
  int32_t output_length = 0;
  u_strToUTF8(output.data(), static_cast<int32_t>(output.size()), &output_length, prepared.data(), prepared_length,
              &status);
  if (U_FAILURE(status)) return raw;
  output.resize(static_cast<std::size_t>(output_length));
  return output;
}

}  // namespace sluice::auth
