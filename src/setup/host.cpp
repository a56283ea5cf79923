// Staged roots, plans, and landing a plan with files::Batch.
#include "setup/host.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "error.hpp"
#include "files/batch.hpp"
#include "setup/diff.hpp"

namespace dockgate::setup {
namespace fs = std::filesystem;

namespace {

std::optional<unsigned> mode_of(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return static_cast<unsigned>(st.st_mode & 07777);
}

std::string octal(unsigned mode) {
  char buf[8];
  (void)std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

std::string compact_utc(std::time_t when) {
  std::tm tm{};
  ::gmtime_r(&when, &tm);
  char buf[32];
  (void)std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

}  // namespace

Host::Host(fs::path root) : root_(std::move(root)), staged_(fs::weakly_canonical(root_) != "/") {}

fs::path Host::on_disk(const std::string& path) const {
  if (!staged_) return path;
  return root_ / fs::path(path).relative_path();
}

std::optional<std::string> Host::read(const std::string& path) const {
  fs::path p = on_disk(path);
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    throw Error("cannot read " + p.string() + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw Error(p.string() + " is a directory; a file was expected there");
  return files::read_file(p, "file");
}

bool Host::exists(const std::string& path) const {
  struct stat st {};
  return ::lstat(on_disk(path).c_str(), &st) == 0;
}

std::vector<std::string> Host::list(const std::string& dir) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(on_disk(dir), ec)) out.push_back(e.path().filename().string());
  return out;
}

void Plan::write(const Host& host, const std::string& path, std::string after, unsigned mode, bool backup) {
  std::optional<std::string> before = host.read(path);
  std::optional<unsigned> before_mode = mode_of(host.on_disk(path));
  if (before == after && before_mode == mode) return;
  bool keep_backup = backup && before.has_value();
  changes_.push_back({path, std::move(before), before_mode, std::move(after), mode, keep_backup});
}

void Plan::make_dir(const Host& host, const std::string& path, unsigned mode) {
  fs::path p = host.on_disk(path);
  std::optional<unsigned> before = mode_of(p);
  if (before && !fs::is_directory(p)) throw Error(p.string() + " exists and is not a directory");
  if (before == mode) return;
  dirs_.push_back({path, before, mode});
}

std::string Plan::diff() const {
  std::string out;
  for (const auto& d : dirs_) {
    out += d.before_mode ? "mode " + d.path + "/: " + octal(*d.before_mode) + " -> " + octal(d.mode) + "\n"
                         : "new directory " + d.path + "/ (mode " + octal(d.mode) + ")\n";
  }
  for (const auto& c : changes_) {
    std::string from = c.before ? "a" + c.path : "/dev/null";
    if (!c.before) out += "new file " + c.path + " (mode " + octal(c.mode) + ")\n";
    if (c.before_mode && *c.before_mode != c.mode) {
      out += "mode " + c.path + ": " + octal(*c.before_mode) + " -> " + octal(c.mode) + "\n";
    }
    out += unified_diff(c.before.value_or(""), c.after, from, "b" + c.path);
  }
  return out;
}

std::vector<std::string> Plan::apply(const Host& host, std::time_t now) const {
  files::Batch batch;
  std::vector<std::string> report;
  for (const auto& c : changes_) {
    // Re-check: what we showed must still be what is there, or we would overwrite someone's edit.
    if (host.read(c.path) != c.before) {
      throw Error(c.path + " changed while setup ran; nothing was written, run the command again");
    }
    fs::path target = host.on_disk(c.path);
    batch.make_dir(target.parent_path(), 0755);  // /etc/docker, unit drop-in directories: world-readable
    if (c.backup) {
      std::string backup = c.path + ".dockgate-backup-" + compact_utc(now);
      batch.write(host.on_disk(backup), *c.before, c.before_mode.value_or(0600), files::Existing::keep);
      report.push_back("kept    " + backup);
    }
    batch.write(target, c.after, c.mode, c.before ? files::Existing::replace : files::Existing::keep);
    report.push_back((c.before ? "updated " : "created ") + c.path);
  }
  for (const auto& d : dirs_) {
    if (!d.before_mode) {
      batch.make_dir(host.on_disk(d.path), d.mode);
      report.push_back("created " + d.path + "/");
    }
  }
  batch.commit("a backup of that name was made this second: run the command again");
  for (const auto& d : dirs_) {
    if (!d.before_mode) continue;
    if (::chmod(host.on_disk(d.path).c_str(), static_cast<mode_t>(d.mode)) != 0) {
      throw Error("cannot change the mode of " + host.on_disk(d.path).string() + ": " + std::strerror(errno));
    }
    report.push_back("chmod   " + octal(d.mode) + " " + d.path + "/");
  }
  return report;
}

}  // namespace dockgate::setup
