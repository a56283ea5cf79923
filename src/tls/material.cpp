// TLS file resolution and the first-run PKI.
#include "tls/material.hpp"

#include "pki/authority.hpp"

namespace dockgate::tls {

Material resolve_material(const config::Settings& settings, const std::filesystem::path& state_dir,
                          bool bootstrap) {
  pki::Layout layout{state_dir};
  pki::Files server = pki::server_files(layout, "");
  Material m;
  m.files.verify_clients = settings.verify_clients();
  m.files.ca = settings.tlscacert.empty() ? layout.ca_cert().string() : settings.tlscacert;
  m.files.cert = settings.tlscert.empty() ? server.cert.string() : settings.tlscert;
  m.files.key = settings.tlskey.empty() ? server.key.string() : settings.tlskey;

  // The CRL: as configured, else crl.pem beside the CA file when there is one (where `dockgate certs`
  // writes it), so that `certs revoke` takes effect without another flag.
  m.crl_path = settings.tlscrl.empty()
                   ? (std::filesystem::path(m.files.ca).parent_path() / "crl.pem").string()
                   : settings.tlscrl;
  if (std::error_code crl_ec; !settings.tlscrl.empty() || std::filesystem::exists(m.crl_path, crl_ec)) {
    m.files.crl = m.crl_path;
  }
  bool configured = !settings.tlscacert.empty() || !settings.tlscert.empty() || !settings.tlskey.empty();
  namespace fs = std::filesystem;
  std::error_code ec;
  bool any_default = fs::exists(layout.ca_cert(), ec) || fs::exists(server.cert, ec) ||
                     fs::exists(server.key, ec) || fs::exists(layout.ca_key(), ec);
  m.bootstrap_pending = !bootstrap && !configured && !any_default;
  if (m.bootstrap_pending) m.files.crl = m.crl_path;  // what the first start will serve with: it writes one
  if (bootstrap && !configured && !any_default) {
    pki::InitOptions init;
    init.layout = layout;
    init.server.all_local = true;  // this host's names and addresses, as remote clients will dial them
    pki::init_pki(init);
    m.created_client = pki::client_files(layout, init.client_name).cert.parent_path();
    m.files.crl = m.crl_path;
  }
  return m;
}

std::vector<std::string> Material::watched() const {
  return {files.ca, files.cert, files.key, crl_path};
}

}  // namespace dockgate::tls
