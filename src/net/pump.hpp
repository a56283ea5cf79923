// The raw tunnel of a hijacked connection (attach, exec, `run -it`, BuildKit's h2c session): bytes flow
// both ways independently, and each direction's end is passed on as a half-close, so that
// `echo hi | docker run -i busybox cat` sees stdin end and still gets its output.
#pragma once

#include <cstdint>

#include "net/buffer.hpp"
#include "net/stream.hpp"

namespace dockgate::net {

struct TunnelBytes {
  std::uint64_t client_to_engine = 0, engine_to_client = 0;
};

// Runs the tunnel until both directions have ended: a direction ends at its reader's EOF, which becomes
// the writer's finish_sending(). `client_buffer` and `engine_buffer` may already hold bytes read past the
// last head; they go first. Once the engine has finished, the client gets `client_grace` to finish too
// before the tunnel is closed (a client that never half-closes must not pin the connection forever).
// Throws system_error if either side fails.
asio::awaitable<TunnelBytes> tunnel(Stream& client, Buffer& client_buffer, Stream& engine,
                                    Buffer& engine_buffer, std::chrono::seconds client_grace);

}  // namespace dockgate::net
