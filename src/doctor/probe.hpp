// `dockgate doctor`'s walk along a connection, one step at a time, stopping at the first failure with its
// cause and fix: the client's own files, the address, name resolution, TCP, what the port speaks, the
// server's certificate, whether the server accepts ours, and the API behind it. Blocking I/O with
// timeouts; no Asio.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "doctor/client_config.hpp"

namespace dockgate::doctor {

struct Step {
  enum class Status { ok, warn, fail };
  std::string name;  // "connect", "server certificate", ...
  Status status = Status::ok;
  std::string detail;  // what was found
  std::string fix;     // what to do, for warnings and failures
};

struct Report {
  ClientConfig config;
  std::vector<Step> steps;
  bool usable = false;  // every step passed (warnings allowed)
};

Report diagnose(const ClientConfig& config, std::chrono::milliseconds timeout);

const char* status_name(Step::Status status);

}  // namespace dockgate::doctor
