// Where TlsStream places plaintext so that OpenSSL's copy of it is not one of glibc's slow ones. glibc 2.36
// copies blocks of 2 KiB and more with `rep movsb`, which AMD processors with FSRM (this project's CI
// machines) run about 25 times slower when the destination lies 1 to 31 bytes past the source modulo 4 KiB
// (glibc bug 30994; 2.5-3 GB/s against 55-94 GB/s here). Pure arithmetic on addresses; no OpenSSL.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dockgate::tls {

inline constexpr std::uintptr_t kPage = 4096;
inline constexpr std::uintptr_t kSlowDistance = 64;      // 1-31 measured; a margin for other models
inline constexpr std::uintptr_t kStagedDistance = 1024;  // where a staged copy goes, before the destination
inline constexpr std::size_t kRepMovsbFrom = 2048;       // glibc's threshold is 2112 bytes on these machines

// Whether copying `size` bytes from `from` to `to` would take the slow path.
constexpr bool copy_would_be_slow(std::uintptr_t to, std::uintptr_t from, std::size_t size) {
  std::uintptr_t distance = (to - from) % kPage;
  return size >= kRepMovsbFrom && distance != 0 && distance < kSlowDistance;
}

// The offset into a staging buffer starting at `base` (at least a page longer than what it holds) at which
// a copy lies kStagedDistance before `to` modulo a page. Neither copy is then slow: the one from the source
// into the buffer differs from the distance judged slow by kStagedDistance, the one out of it is at it.
constexpr std::size_t staged_offset(std::uintptr_t base, std::uintptr_t to) {
  return static_cast<std::size_t>((to - kStagedDistance - base) % kPage);
}

}  // namespace dockgate::tls
