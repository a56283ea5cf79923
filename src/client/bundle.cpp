// Client bundles: gathering the files, the ustar archive (POSIX.1-1988 headers, written by hand: a few
// fixed fields), and gzip through zlib.
#include "client/bundle.hpp"

#include <zlib.h>

#include <array>
#include <cstring>
#include <ctime>

#include "config/listen_address.hpp"
#include "error.hpp"
#include "files/batch.hpp"
#include "pki/certificate.hpp"

namespace dockgate::client {
namespace fs = std::filesystem;

namespace {

// One ustar header block for a regular file or directory.
std::string ustar_header(const std::string& name, std::size_t size, unsigned mode, bool directory) {
  std::array<char, 512> h{};
  if (name.size() >= 100) throw Error("bundle file name too long: " + name);
  std::memcpy(h.data(), name.data(), name.size());
  auto octal = [&](std::size_t offset, std::size_t width, unsigned long long value) {
    std::string digits;
    do {
      digits.insert(digits.begin(), static_cast<char>('0' + (value & 7)));
      value >>= 3;
    } while (value != 0);
    digits.insert(0, width - 1 - digits.size(), '0');
    std::memcpy(h.data() + offset, digits.data(), digits.size());
  };
  octal(100, 8, mode);
  octal(108, 8, 0);  // uid
  octal(116, 8, 0);  // gid
  octal(124, 12, size);
  octal(136, 12, static_cast<unsigned long long>(std::time(nullptr)));
  std::memset(h.data() + 148, ' ', 8);  // checksum field counts as spaces while summing
  h[156] = directory ? '5' : '0';
  std::memcpy(h.data() + 257, "ustar", 6);
  std::memcpy(h.data() + 263, "00", 2);
  unsigned sum = 0;
  for (char c : h) sum += static_cast<unsigned char>(c);
  octal(148, 7, sum);
  h[155] = ' ';
  return {h.data(), h.size()};
}

void add_file(std::string& tar, const std::string& name, const std::string& contents, unsigned mode) {
  tar += ustar_header(name, contents.size(), mode, false);
  tar += contents;
  tar.append((512 - contents.size() % 512) % 512, '\0');
}

std::string gzip(const std::string& data) {
  z_stream z{};
  // windowBits 15 + 16: a gzip wrapper rather than zlib's.
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error("cannot start gzip compression");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw Error("gzip compression failed");
  return out;
}

}  // namespace

Bundle load_from_pki(const pki::Layout& layout, const std::string& name, const std::string& endpoint) {
  pki::Files f = pki::client_files(layout, name);
  std::error_code ec;
  if (!fs::exists(f.cert, ec)) {
    throw Error("no client \"" + name + "\" in " + layout.dir.string() + " (no " + f.cert.string() +
                "); issue it with `dockgate certs issue client " + name + " --dir " + layout.dir.string() +
                "`");
  }
  Bundle b;
  b.name = name;
  b.endpoint = endpoint.empty() ? default_endpoint(layout) : endpoint;
  b.ca_pem = files::read_file(layout.ca_cert(), "CA certificate");
  b.cert_pem = files::read_file(f.cert, "client certificate");
  b.key_pem = files::read_file(f.key, "client key");
  return b;
}

std::string default_endpoint(const pki::Layout& layout) {
  pki::Files server = pki::server_files(layout, "");
  std::error_code ec;
  std::string host = "127.0.0.1";
  if (fs::exists(server.cert, ec)) {
    pki::Cert cert = pki::cert_from_pem(files::read_file(server.cert, "server certificate"), server.cert);
    pki::CertInfo info = pki::describe_certificate(cert.get());
    auto pick = [&](const std::vector<std::string>& names) -> std::string {
      for (const auto& n : names) {
        if (!config::is_loopback_host(n) && n.find('*') == std::string::npos) return n;
      }
      return "";
    };
    if (std::string dns = pick(info.dns_names); !dns.empty()) {
      host = dns;
    } else if (std::string ip = pick(info.ip_addresses); !ip.empty()) {
      host = ip.find(':') != std::string::npos ? "[" + ip + "]" : ip;
    }
  }
  return "tcp://" + host + ":2376";
}

std::string readme(const Bundle& b) {
  return "dockgate client bundle for \"" + b.name + "\"\n\nEndpoint: " + b.endpoint +
         "\n\nThese files are a docker client identity: keep key.pem private.\n\n"
         "Use them from a shell (bash, zsh; `--shell fish`, `powershell` or `cmd` for others):\n"
         "  eval \"$(dockgate client env /path/to/this/directory)\"\n"
         "or without dockgate:\n"
         "  export DOCKER_HOST=" +
         b.endpoint +
         "\n"
         "  export DOCKER_TLS_VERIFY=1\n"
         "  export DOCKER_CERT_PATH=/path/to/this/directory\n\n"
         "As a docker context:\n"
         "  dockgate client context NAME /path/to/this/directory\n"
         "  docker --context NAME ps\n\n"
         "Trouble? `dockgate doctor` explains what fails and how to fix it.\n";
}

std::string tar_gz(const Bundle& b) {
  std::string tar;
  std::string dir = b.name + "/";
  tar += ustar_header(dir, 0, 0700, true);
  add_file(tar, dir + "ca.pem", b.ca_pem, 0644);
  add_file(tar, dir + "cert.pem", b.cert_pem, 0644);
  add_file(tar, dir + "key.pem", b.key_pem, 0600);
  add_file(tar, dir + "endpoint", b.endpoint + "\n", 0644);
  add_file(tar, dir + "README.txt", readme(b), 0644);
  tar.append(1024, '\0');  // two empty blocks end the archive
  return gzip(tar);
}

void write_directory(const Bundle& b, const fs::path& dir, bool force) {
  files::Existing existing = force ? files::Existing::replace : files::Existing::keep;
  files::Batch batch;
  batch.make_dir(dir, 0700);
  batch.write(dir / "ca.pem", b.ca_pem, 0444, existing);
  batch.write(dir / "cert.pem", b.cert_pem, 0444, existing);
  batch.write(dir / "key.pem", b.key_pem, 0400, existing);
  batch.write(dir / "endpoint", b.endpoint + "\n", 0644, existing);
  batch.write(dir / "README.txt", readme(b), 0644, existing);
  batch.commit("pass --force to replace, or choose another --output");
}

std::string endpoint_of(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir / "endpoint", ec)) return "";
  std::string text = files::read_file(dir / "endpoint", "bundle endpoint");
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace dockgate::client
