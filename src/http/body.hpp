// Moving one message body from one stream to another, framed as its head says, in large blocks and with
// backpressure: each block is written out before the next is read, so memory stays at one buffer per
// direction whatever the body's size (a multi-GB `docker load` never sits in memory).
#pragma once

#include <cstdint>
#include <string>

#include "http/head.hpp"
#include "net/buffer.hpp"
#include "net/stream.hpp"

namespace dockgate::http {

inline constexpr std::size_t kNotBuffered = static_cast<std::size_t>(-1);

// How many leading bytes of `data` make up the whole body framed by `framing`, when all of it is there
// (0 for no body); kNotBuffered when some of it is still to come, or it runs until the connection closes.
// Lets a small answer go out in one write with its head. Throws BadMessage for broken chunk framing.
std::size_t buffered_whole_body(const Framing& framing, std::string_view data);

// The first `want` bytes of the body framed by `framing` (decoded from chunked), or all of a shorter body,
// when `data`, the bytes that follow the head, hold them; nullopt while more are needed. Throws BadMessage
// for broken chunk framing.
std::optional<std::string> body_start(const Framing& framing, std::string_view data, std::size_t want);

// Relays the body that follows a head: `buffered` holds bytes already read from `from` (the start of the
// body, perhaps more); what follows the body stays in it. Adds the bytes relayed to `relayed` as they go, so
// that a caller knows what moved even when the relay throws: system_error if either side fails,
// BadMessage for broken chunk framing, and UnexpectedEnd if `from` ends before the body does.
// Framing::Kind::until_close is not a body this relays (see net::pump).
boost::asio::awaitable<void> relay_body(const Framing& framing, net::Stream& from, net::Buffer& buffered,
                                        net::Stream& to, std::uint64_t& relayed);

// Reads a whole request body (as its framing says) into `out`, decoded from chunked if need be, so that it
// can be judged before anything is forwarded. Returns false, having stopped reading, once the body would
// exceed `limit` bytes. Throws as relay_body does.
boost::asio::awaitable<bool> read_body(const Framing& framing, net::Stream& from, net::Buffer& buffered,
                                       std::string& out, std::size_t limit);

class UnexpectedEnd : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace dockgate::http
