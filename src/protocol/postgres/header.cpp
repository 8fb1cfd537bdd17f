#include "sluice/protocol/postgres/header.hpp"

namespace sluice::pg {

std::string_view to_string(ScanError error) {
  switch (error) {
    case ScanError::none: return "none";
    case ScanError::length_too_small: return "length_too_small";
    case ScanError::length_too_large: return "length_too_large";
  }
  return "unknown";
}

}  // namespace sluice::pg
