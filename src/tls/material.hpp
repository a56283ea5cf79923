// Which certificate, key and CA files the gateway serves with, and the first-run bootstrap: with no TLS
// files configured and none at the default location, a CA, a server certificate for this host and an
// `admin` client bundle are created in the state directory, so that `dockgate serve` is secure from its
// first start.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "tls/context.hpp"

namespace dockgate::tls {

struct Material {
  Files files;
  std::optional<std::filesystem::path> created_client;  // the admin bundle, when this run created the PKI
  bool bootstrap_pending = false;  // without `bootstrap`: a real start would create the PKI

  // The files whose change calls for a reload: the three above and the CRL's path (configured, or crl.pem
  // beside the CA), even before a CRL exists there.
  std::vector<std::string> watched() const;

  std::string crl_path;
};

// The TLS files: each configured path as given, otherwise the file of that name in `state_dir` (ca.pem,
// server-cert.pem, server-key.pem, as `dockgate certs init` writes them). With `bootstrap`, creates the
// PKI there when nothing is configured and none of the three exists. Throws Error from pki on failure.
Material resolve_material(const config::Settings& settings, const std::filesystem::path& state_dir,
                          bool bootstrap);

}  // namespace dockgate::tls
