// The chunked transfer coding (RFC 9112 §7.1), scanned rather than decoded: the gateway passes chunks on
// byte for byte and only needs to know where the body ends and that its framing is well formed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dockgate::http {

class ChunkedScanner {
 public:
  // Consumes the leading bytes of `data` that belong to the body and returns how many; stops at the end of
  // the body, so what follows (a pipelined request) is left alone. Throws BadMessage(400) on a malformed
  // chunk size, extension line or trailer.
  std::size_t scan(std::string_view data);
  bool done() const { return state_ == State::done; }

 private:
  enum class State {
    size,
    extension,
    size_lf,
    data,
    data_cr,
    data_lf,
    trailer_start,
    trailer,
    trailer_lf,
    done
  };
  State state_ = State::size;
  std::uint64_t remaining_ = 0;
  int digits_ = 0;
  std::size_t line_ = 0;  // bytes in the current size or trailer line, against oversized lines
};

// The data of a chunked body, or of the start of one, that ChunkedScanner has accepted (extensions and
// trailers dropped; a chunk cut short gives the part there).
std::string decode_chunked(std::string_view raw);

}  // namespace dockgate::http
