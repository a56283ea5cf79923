// Where audit records go: a file (appended, reopened on SIGHUP so logrotate can move it), standard
// output, or the systemd journal. Writes are single appends from the gateway's one thread.
#pragma once

#include <memory>
#include <string>

#include "audit/event.hpp"

namespace dockgate::audit {

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const Event& event) = 0;
  // Reopens a file (after logrotate moved it); nothing for other sinks. Never throws; logs trouble.
  virtual void reopen() {}
};

// "-" for standard output, "journal" for the journal, otherwise a file path (created 0600). Throws Error
// naming --audit-log when the file cannot be opened.
std::unique_ptr<Sink> open_sink(const std::string& target);

}  // namespace dockgate::audit
