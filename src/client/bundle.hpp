// A client bundle: what one docker client needs to reach a server through mutual TLS (ca.pem, cert.pem,
// key.pem, in the names DOCKER_CERT_PATH expects), plus the endpoint and a note on using it. Written as a
// tar.gz to hand over, or as a directory.
#pragma once

#include <filesystem>
#include <string>

#include "pki/authority.hpp"

namespace dockgate::client {

struct Bundle {
  std::string name;      // the client's name (its certificate's CN)
  std::string endpoint;  // tcp://HOST:PORT
  std::string ca_pem, cert_pem, key_pem;
};

// The bundle of client `name` in a `dockgate certs` directory. Throws Error when there is no such client.
Bundle load_from_pki(const pki::Layout& layout, const std::string& name, const std::string& endpoint);

// The endpoint clients should dial, from the server certificate's names: its first DNS name that is not
// localhost, else its first non-loopback IP address, else 127.0.0.1; port 2376.
std::string default_endpoint(const pki::Layout& layout);

// README.txt: the endpoint and how to use the bundle from each shell and as a docker context.
std::string readme(const Bundle& bundle);

// The bundle as a gzip-compressed ustar archive with one directory, NAME/, holding ca.pem, cert.pem,
// key.pem (0600), endpoint and README.txt.
std::string tar_gz(const Bundle& bundle);

// The same files in `dir` (created 0700), all or none; refuses to replace files unless `force`.
void write_directory(const Bundle& bundle, const std::filesystem::path& dir, bool force);

// The endpoint stored in a bundle directory (its `endpoint` file), or "" when it has none.
std::string endpoint_of(const std::filesystem::path& dir);

}  // namespace dockgate::client
