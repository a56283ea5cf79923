// The machine `dockgate setup` configures: the real one ("/"), or a staged copy of its files under
// --root, which is how the tests (and a careful operator) see every change before it reaches /etc. Also the
// Plan: every file a setup command would write, which --dry-run prints as a diff and a real run lands
// all together or not at all.
#pragma once

#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace dockgate::setup {

class Host {
 public:
  explicit Host(std::filesystem::path root = "/");

  // Where a path of the configured machine (always absolute: /etc/docker/daemon.json) is on this one.
  std::filesystem::path on_disk(const std::string& path) const;
  // The file's contents; nullopt when it does not exist. Throws Error naming the file when it exists but
  // cannot be read.
  std::optional<std::string> read(const std::string& path) const;
  bool exists(const std::string& path) const;
  // Names of the entries of a directory (not sorted); empty when it does not exist.
  std::vector<std::string> list(const std::string& dir) const;
  // True when working on a staged root: nothing may be applied to the running system (no systemctl, no
  // firewall commands, no probing of this machine's ports).
  bool staged() const { return staged_; }

 private:
  std::filesystem::path root_;
  bool staged_;
};

struct FileChange {
  std::string path;                   // on the configured machine
  std::optional<std::string> before;  // nullopt: the file is new
  std::optional<unsigned> before_mode;
  std::string after;
  unsigned mode;
  bool backup;  // keep the old contents beside it, named PATH.dockgate-backup-<UTC time>
};

class Plan {
 public:
  // Stages `after` as the contents of `path` with `mode`, when that differs from what is there now.
  void write(const Host& host, const std::string& path, std::string after, unsigned mode,
             bool backup = false);

  // Stages creating directory `path` with `mode`, or setting its mode when it exists with another.
  void make_dir(const Host& host, const std::string& path, unsigned mode);

  bool empty() const { return changes_.empty() && dirs_.empty(); }
  const std::vector<FileChange>& changes() const { return changes_; }

  // Every change as a unified diff (a/ and b/ prefixes as git prints them), mode changes as a line each.
  std::string diff() const;

  // Writes every change atomically (see files::Batch), with backups made first; returns a line per file
  // written. Throws Error naming the file when any cannot be written; then nothing has changed. A file
  // that appeared or changed since the plan was made is not overwritten: the run fails and says so.
  std::vector<std::string> apply(const Host& host, std::time_t now) const;

 private:
  struct DirChange {
    std::string path;
    std::optional<unsigned> before_mode;  // nullopt: the directory is new
    unsigned mode;
  };
  std::vector<FileChange> changes_;
  std::vector<DirChange> dirs_;
};

// What a setup command plans: the files, what a person should know about the result, and the commands to
// run once the files are in place.
struct SetupResult {
  Plan plan;
  std::vector<std::string> notes;
  std::vector<std::string> next_commands;
};

}  // namespace dockgate::setup
