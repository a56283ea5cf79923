// The three sinks.
#include "audit/sink.hpp"

#include <fcntl.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.hpp"
#include "obs/log.hpp"

namespace dockgate::audit {
namespace {

void write_all(int fd, const std::string& line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      obs::log(obs::Level::error, "cannot write the audit log", {{"cause", std::strerror(errno)}});
      return;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

class FileSink final : public Sink {
 public:
  explicit FileSink(std::string path) : path_(std::move(path)) { fd_ = open_file(true); }
  ~FileSink() override {
    if (fd_ >= 0) ::close(fd_);
  }
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;

  void write(const Event& event) override { write_all(fd_, to_json(event) + "\n"); }
  void reopen() override {
    int fd = open_file(false);
    if (fd < 0) return;  // keep writing to the old file rather than lose records
    ::close(fd_);
    fd_ = fd;
  }

 private:
  int open_file(bool must) {
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      std::string why = std::strerror(errno);
      if (must) throw Error("--audit-log " + path_ + ": cannot open: " + why);
      obs::log(obs::Level::error, "cannot reopen the audit log; still writing to the old one",
               {{"file", path_}, {"cause", why}});
    }
    return fd;
  }
  std::string path_;
  int fd_ = -1;
};

class StdoutSink final : public Sink {
 public:
  void write(const Event& event) override { write_all(STDOUT_FILENO, to_json(event) + "\n"); }
};

class JournalSink final : public Sink {
 public:
  void write(const Event& event) override {
    std::string line = to_json(event);
    sd_journal_send("MESSAGE=%s", line.c_str(), "SYSLOG_IDENTIFIER=dockgate-audit", "DOCKGATE_CN=%s",
                    event.common_name.c_str(), "DOCKGATE_DECISION=%s", event.decision.c_str(), nullptr);
  }
};

}  // namespace

std::unique_ptr<Sink> open_sink(const std::string& target) {
  if (target == "-") return std::make_unique<StdoutSink>();
  if (target == "journal") return std::make_unique<JournalSink>();
  return std::make_unique<FileSink>(target);
}

}  // namespace dockgate::audit
