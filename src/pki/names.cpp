// Validation of every name that ends up in a certificate or a path.
#include "pki/names.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "ascii.hpp"
#include "error.hpp"

namespace dockgate::pki {
namespace {

constexpr std::string_view kGroupUriPrefix = "urn:dockgate:group:";

bool is_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(), [](unsigned char c) { return std::isalnum(c) || c == '-'; });
}

// RFC 1123 host name; returns why not, or "" when valid.
std::string dns_problem(std::string_view name) {
  if (name.size() > 253) return "longer than 253 characters";
  bool wildcard = name.substr(0, 2) == "*.";
  std::string_view rest = wildcard ? name.substr(2) : name;
  if (rest.empty()) return "empty name";
  size_t labels = 0;
  bool all_numeric_last = false;
  for (size_t start = 0;;) {
    size_t dot = rest.find('.', start);
    std::string_view label = rest.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!is_label(label)) {
      if (label.empty()) return "empty label (two dots in a row, or a leading dot)";
      if (label.find('*') != std::string_view::npos)
        return "a wildcard is only allowed as the whole first label";
      return "\"" + std::string(label) +
             "\" is not a valid label (letters, digits and inner hyphens, at most 63 characters)";
    }
    ++labels;
    all_numeric_last =
        std::all_of(label.begin(), label.end(), [](unsigned char c) { return std::isdigit(c); });
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (all_numeric_last) return "looks like an IP address but is not a valid one";
  if (wildcard && labels < 2) return "a wildcard needs at least two labels after it (*.example.com)";
  return "";
}

}  // namespace

HostName parse_host(std::string_view text, std::string_view flag) {
  std::string_view v = text;
  auto invalid = [&](const std::string& why) {
    return UsageError("invalid " + std::string(flag) + " \"" + std::string(text) + "\": " + why +
                      "; give a DNS name such as docker.example.com or an IP address such as 192.0.2.10");
  };
  if (v.size() >= 2 && v.front() == '[' && v.back() == ']') v = v.substr(1, v.size() - 2);
  if (v.empty()) throw invalid("empty value");

  std::string s(v);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN] = {};
  if (::inet_pton(AF_INET, s.c_str(), buf) == 1) {
    ::inet_ntop(AF_INET, buf, out, sizeof out);
    return {HostName::Kind::ip, out};
  }
  if (s.find(':') != std::string::npos) {
    if (s.find('%') != std::string::npos)
      throw invalid("a zone index (%...) cannot be part of a certificate");
    if (::inet_pton(AF_INET6, s.c_str(), buf) != 1) throw invalid("not a valid IPv6 address");
    ::inet_ntop(AF_INET6, buf, out, sizeof out);
    return {HostName::Kind::ip, out};
  }
  if (s.back() == '.') s.pop_back();
  s = ascii_lowercase(s);
  if (std::string why = dns_problem(s); !why.empty()) throw invalid(why);
  return {HostName::Kind::dns, s};
}

void check_entity_name(std::string_view name, std::string_view what) {
  auto bad = [&](const std::string& why) {
    return UsageError("invalid " + std::string(what) + " \"" + std::string(name) + "\": " + why);
  };
  if (name.empty()) throw bad("it is empty");
  if (name.size() > 64) throw bad("longer than 64 characters");
  if (name.front() == '.' || name.front() == '-') throw bad("it must not start with '.' or '-'");
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '@' || c == '-')) {
      throw bad("only letters, digits and . _ @ - are allowed");
    }
  }
}

void check_group_name(std::string_view group) {
  auto bad = [&](const std::string& why) {
    return UsageError("invalid --group \"" + std::string(group) + "\": " + why);
  };
  if (group.empty()) throw bad("it is empty");
  if (group.size() > 64) throw bad("longer than 64 characters");
  for (unsigned char c : group) {
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-'))
      throw bad("only letters, digits and . _ - are allowed");
  }
}

std::string group_uri(std::string_view group) {
  return std::string(kGroupUriPrefix) + std::string(group);
}

std::optional<std::string> group_from_uri(std::string_view uri) {
  if (uri.substr(0, kGroupUriPrefix.size()) != kGroupUriPrefix || uri.size() == kGroupUriPrefix.size()) {
    return std::nullopt;
  }
  return std::string(uri.substr(kGroupUriPrefix.size()));
}

}  // namespace dockgate::pki
