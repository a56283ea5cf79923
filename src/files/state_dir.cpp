// The default state directory, following the XDG base directory spec for unprivileged users.
#include "files/state_dir.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace dockgate::files {

std::filesystem::path default_state_dir() {
  if (const char* env = std::getenv("DOCKGATE_STATE_DIR"); env != nullptr && *env != '\0') return env;
  if (::geteuid() == 0) return "/var/lib/dockgate";
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg == '/') {
    return std::filesystem::path(xdg) / "dockgate";
  }
  std::filesystem::path home;
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    home = h;
  } else if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) {
    home = pw->pw_dir;
  }
  return home / ".local" / "state" / "dockgate";
}

}  // namespace dockgate::files
