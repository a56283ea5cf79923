// ASCII case-insensitive comparison, for the protocol names that are defined that way (HTTP field names,
// transfer codings, connection tokens): no locale, no allocation.
#pragma once

#include <cstddef>
#include <string_view>

namespace dockgate {

constexpr unsigned char ascii_lower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

constexpr bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(static_cast<unsigned char>(a[i])) != ascii_lower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace dockgate
