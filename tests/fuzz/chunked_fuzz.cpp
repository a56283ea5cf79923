// The chunked-body scanner on arbitrary bytes, fed whole and in pieces: where the body ends (or that it is
// malformed) must not depend on how the bytes arrived, and the data decoded from an accepted prefix is a
// prefix of the whole body's.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/chunked.hpp"
#include "http/head.hpp"

using namespace dockgate;

namespace {

// Bytes consumed, or -1 for malformed framing.
long scan(std::string_view data, std::size_t piece) {
  http::ChunkedScanner scanner;
  std::size_t used = 0;
  try {
    while (used < data.size() && !scanner.done()) {
      std::string_view block = data.substr(used, piece);
      std::size_t n = scanner.scan(block);
      used += n;
      if (n < block.size() && !scanner.done()) std::abort();  // stops early only at the body's end
    }
  } catch (const http::BadMessage&) {
    return -1;
  }
  return scanner.done() ? static_cast<long>(used) : -2;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t piece = 1 + data[0] % 16;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  long whole = scan(input, input.size() + 1);
  long pieces = scan(input, piece);
  if (whole != pieces) std::abort();
  if (whole >= 0) {
    std::string body = http::decode_chunked(input.substr(0, static_cast<std::size_t>(whole)));
    http::ChunkedScanner scanner;
    std::size_t half = static_cast<std::size_t>(whole) / 2;
    std::size_t prefix = scanner.scan(input.substr(0, half));
    std::string start = http::decode_chunked(input.substr(0, prefix));
    if (body.compare(0, start.size(), start) != 0) std::abort();
  }
  return 0;
}
