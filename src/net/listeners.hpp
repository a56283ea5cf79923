// Listening sockets for every -H address: TCP, unix sockets (mode 0660, owned by the socket group) and
// sockets handed over by systemd. Returns plain descriptors, so no Asio here; the gateway adopts them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/listen_address.hpp"

namespace dockgate::net {

struct Listener {
  int fd = -1;
  std::string name;          // how logs and errors name it: "tcp://127.0.0.1:2376", "fd://3 (docker.socket)"
  int family = 0;            // AF_INET, AF_INET6 or AF_UNIX
  bool is_unix = false;      // a unix-domain socket: protected by file permissions, never TLS
  bool is_loopback = false;  // a TCP socket bound to a loopback address
  // A unix socket file this process created, and what identifies that file (device, inode and change time:
  // a file system may give a new file the inode just freed), so that only that file is removed at the end.
  std::string socket_path;
  std::uint64_t socket_device = 0, socket_inode = 0;
  std::int64_t socket_changed_ns = 0;
};

// Removes the unix socket files these listeners created, as dockerd's listeners do when it exits: a path
// that now names another file (a socket another gateway made there since) is left alone. Sockets from
// systemd are its own. Called when accepting stops, before a shutdown's drain: a gateway started meanwhile
// finds no socket to take for a stale one.
void remove_socket_files(const std::vector<Listener>& listeners) noexcept;

// Opens every address, or none: on an error the ones already opened are closed and Error says which
// address failed and why ("listen tcp 127.0.0.1:2376: bind: address already in use", "unix:///x: another
// process is serving this socket ..."). `group` owns unix sockets; "docker" falls back with a warning
// (appended to `warnings`) when no such group exists, as dockerd does; any other missing group is an error.
std::vector<Listener> open_listeners(const std::vector<config::ListenAddress>& addresses,
                                     const std::string& group, std::vector<std::string>& warnings);

}  // namespace dockgate::net
