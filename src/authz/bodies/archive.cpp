// The start of an archive uploaded into a container. The engine detects a compressed archive by its magic
// number (pkg/archive DetectCompression) and, before engine 29.5.1 (CVE-2026-41567), decompresses it with
// the container's own xz or unpigz binary running as root on the host. No Docker client sends one: the
// docker CLI, docker-py and dockerode send plain tar. So a sandboxed role's upload must not start like any
// format the engine would decompress, whatever the engine's version (which the gateway does not know, and
// which can change under it).
#include <array>
#include <string>

#include "authz/bodies/judge.hpp"

namespace dockgate::authz::bodies {
namespace {

struct Magic {
  std::string_view name;
  std::string_view bytes;
};

// moby 20.10 detects bzip2, gzip and xz; later engines add zstd (a frame, or a skippable frame first).
constexpr std::array<Magic, 4> kCompressed = {{
    {"bzip2", std::string_view("\x42\x5A\x68", 3)},
    {"gzip", std::string_view("\x1F\x8B\x08", 3)},
    {"xz", std::string_view("\xFD\x37\x7A\x58\x5A\x00", 6)},
    {"zstd", std::string_view("\x28\xB5\x2F\xFD", 4)},
}};

}  // namespace

Denial judge_archive_start(std::string_view first_bytes) {
  for (const Magic& m : kCompressed) {
    if (first_bytes.starts_with(m.bytes)) {
      return "the archive is " + std::string(m.name) +
             "-compressed, which engines before 29.5.1 decompress with the container's own programs as root "
             "on the host (CVE-2026-41567): send a plain tar, as the docker CLI does";
    }
  }
  // zstd's skippable frames: 0x184D2A50 to 0x184D2A5F, little-endian.
  if (first_bytes.size() >= 4 && (static_cast<unsigned char>(first_bytes[0]) & 0xF0) == 0x50 &&
      first_bytes.substr(1, 3) == std::string_view("\x2A\x4D\x18", 3)) {
    return std::string(
        "the archive starts with a zstd skippable frame: send a plain tar, as the docker CLI does");
  }
  return std::nullopt;
}

}  // namespace dockgate::authz::bodies
