// Content-Length and chunked bodies, passed through byte for byte: chunks are not re-framed, only scanned
// to find where the body ends (http/chunked.hpp).
#include "http/body.hpp"

#include "http/chunked.hpp"

namespace dockgate::http {
namespace asio = boost::asio;

namespace {

asio::awaitable<void> fill(net::Stream& from, net::Buffer& buffer) {
  auto space = buffer.space();
  std::size_t n = co_await from.read_some(space);
  if (n == 0) throw UnexpectedEnd("the connection ended in the middle of a message body");
  buffer.commit(n);
}

}  // namespace

std::size_t buffered_whole_body(const Framing& framing, std::string_view data) {
  switch (framing.kind) {
    case Framing::Kind::none:
      return 0;
    case Framing::Kind::length:
      return framing.length <= data.size() ? static_cast<std::size_t>(framing.length) : kNotBuffered;
    case Framing::Kind::chunked: {
      ChunkedScanner scanner;
      std::size_t n = scanner.scan(data);
      return scanner.done() ? n : kNotBuffered;
    }
    case Framing::Kind::until_close:
      break;
  }
  return kNotBuffered;
}

std::optional<std::string> body_start(const Framing& framing, std::string_view data, std::size_t want) {
  switch (framing.kind) {
    case Framing::Kind::none:
      return std::string();
    case Framing::Kind::length: {
      std::size_t n = framing.length < want ? static_cast<std::size_t>(framing.length) : want;
      if (data.size() < n) return std::nullopt;
      return std::string(data.substr(0, n));
    }
    case Framing::Kind::chunked: {
      ChunkedScanner scanner;
      std::string decoded = decode_chunked(data.substr(0, scanner.scan(data)));
      if (decoded.size() >= want) return decoded.substr(0, want);
      if (scanner.done()) return decoded;
      return std::nullopt;
    }
    case Framing::Kind::until_close:
      break;
  }
  if (data.size() < want) return std::nullopt;
  return std::string(data.substr(0, want));
}

asio::awaitable<void> relay_body(const Framing& framing, net::Stream& from, net::Buffer& buffered,
                                 net::Stream& to, std::uint64_t& relayed) {
  if (framing.kind == Framing::Kind::length) {
    std::uint64_t left = framing.length;
    while (left > 0) {
      if (buffered.empty()) co_await fill(from, buffered);
      std::string_view block = buffered.data();
      if (block.size() > left) block = block.substr(0, static_cast<std::size_t>(left));
      co_await to.write(block);
      buffered.consume(block.size());
      left -= block.size();
      relayed += block.size();
    }
  } else if (framing.kind == Framing::Kind::chunked) {
    ChunkedScanner scanner;
    while (!scanner.done()) {
      if (buffered.empty()) co_await fill(from, buffered);
      std::string_view block = buffered.data();
      block = block.substr(0, scanner.scan(block));
      co_await to.write(block);
      buffered.consume(block.size());
      relayed += block.size();
    }
  }
}

asio::awaitable<bool> read_body(const Framing& framing, net::Stream& from, net::Buffer& buffered,
                                std::string& out, std::size_t limit) {
  out.clear();
  if (framing.kind == Framing::Kind::length) {
    if (framing.length > limit) co_return false;
    while (out.size() < framing.length) {
      if (buffered.empty()) co_await fill(from, buffered);
      std::string_view block =
          buffered.data().substr(0, static_cast<std::size_t>(framing.length - out.size()));
      out.append(block);
      buffered.consume(block.size());
    }
  } else if (framing.kind == Framing::Kind::chunked) {
    // The raw bytes are bounded too: chunk framing around `limit` bytes of data is far smaller than
    // `limit` again, short of a deliberately padded body, which is refused.
    std::string raw;
    ChunkedScanner scanner;
    while (!scanner.done()) {
      if (buffered.empty()) co_await fill(from, buffered);
      std::string_view block = buffered.data();
      block = block.substr(0, scanner.scan(block));
      raw.append(block);
      buffered.consume(block.size());
      if (raw.size() > 2 * limit) co_return false;
    }
    out = decode_chunked(raw);
    if (out.size() > limit) co_return false;
  }
  co_return true;
}

}  // namespace dockgate::http
