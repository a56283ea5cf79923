// The connection to the Docker engine behind the gateway: a unix socket (the usual
// unix:///var/run/docker.sock) or plain TCP to a local engine.
#pragma once

#include <memory>
#include <string>

#include "config/listen_address.hpp"
#include "net/stream.hpp"

namespace dockgate::net {

// Parses --upstream: unix://PATH or tcp://HOST:PORT. Throws Error naming the flag.
config::ListenAddress parse_engine_address(const std::string& value);

// Connects to the engine. Throws boost::system::system_error; the caller turns it into a 502 that names
// the engine address.
asio::awaitable<std::unique_ptr<Stream>> connect_engine(const config::ListenAddress& engine);

}  // namespace dockgate::net
