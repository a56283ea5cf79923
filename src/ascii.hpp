// ASCII case folding, the project's one: for the names defined that way (HTTP field names, transfer codings,
// connection tokens, DNS names, capability names, hex serials). No locale (std::tolower follows the C
// locale, which a library must not depend on) and nothing outside A-Z and a-z changes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace dockgate {

constexpr unsigned char ascii_lower(unsigned char c) {
  return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

constexpr unsigned char ascii_upper(unsigned char c) {
  return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
}

inline std::string ascii_lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(ascii_lower(static_cast<unsigned char>(c)));
  return out;
}

inline std::string ascii_uppercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(ascii_upper(static_cast<unsigned char>(c)));
  return out;
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
