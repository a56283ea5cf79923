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

// Relays the body that follows a head: `buffered` holds bytes already read from `from` (the start of the
// body, perhaps more); what follows the body stays in it. Returns the bytes relayed. Throws
// system_error if either side fails, BadMessage for broken chunk framing, and UnexpectedEnd if `from`
// ends before the body does. Framing::Kind::until_close is not a body this relays (see net::pump).
boost::asio::awaitable<std::uint64_t> relay_body(const Framing& framing, net::Stream& from,
                                                 net::Buffer& buffered, net::Stream& to);

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
