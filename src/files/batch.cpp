// All-or-nothing file writes: every file is first written and fsynced under a temporary name in its own
// directory, and only when all of them are on disk are they renamed into place.
#include "files/batch.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "error.hpp"

namespace dockgate::files {
namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

bool exists_no_follow(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0;
}

// True only when `p` is known not to exist; a path we may not look at (EACCES) is not "missing", so that
// the error that follows names the directory that is really in the way.
bool missing(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) != 0 && errno == ENOENT;
}

// Writes `contents` to a new temporary file next to `target` and returns its name. The file has `mode`
// from the moment it exists, so a key is never readable by others even for an instant.
fs::path write_temporary(const fs::path& target, const std::string& contents, unsigned mode) {
  std::string pattern = (target.parent_path() / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) {
    throw Error("cannot write " + target.string() + ": " + errno_text(errno) +
                " (choose a directory you can write to)");
  }
  auto fail = [&](const char* step) {
    int err = errno;
    ::close(fd);
    ::unlink(pattern.c_str());
    throw Error("cannot write " + target.string() + ": " + step + ": " + errno_text(err));
  };
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) fail("chmod");
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(pattern.c_str());
    throw Error("cannot write " + target.string() + ": close: " + errno_text(err));
  }
  return pattern;
}

void sync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

void Batch::write(fs::path path, std::string contents, unsigned mode, Existing existing) {
  writes_.push_back({std::move(path), std::move(contents), mode, existing});
}

void Batch::make_dir(fs::path dir, unsigned mode) {
  dirs_.push_back({std::move(dir), mode});
}

void Batch::move(fs::path from, fs::path to) {
  moves_.push_back({std::move(from), std::move(to)});
}

std::vector<fs::path> Batch::written() const {
  std::vector<fs::path> out;
  for (const auto& w : writes_) out.push_back(w.path);
  return out;
}

void Batch::commit(std::string_view remedy) {
  // 1. Refuse before touching anything.
  std::vector<std::string> conflicts;
  for (const auto& w : writes_) {
    if (w.existing == Existing::keep && exists_no_follow(w.path)) conflicts.push_back(w.path.string());
  }
  for (const auto& m : moves_) {
    if (exists_no_follow(m.to)) conflicts.push_back(m.to.string());
  }
  if (!conflicts.empty()) {
    std::string list;
    for (const auto& c : conflicts) list += (list.empty() ? "" : ", ") + c;
    throw Error(
        list + (conflicts.size() == 1 ? " already exists" : " already exist") +
        "; dockgate never overwrites keys, certificates or configs unless asked: " + std::string(remedy));
  }

  // 2. Directories, remembering which ones we made so that a failure can remove them again.
  std::vector<fs::path> created;
  auto undo_dirs = [&] {
    for (auto it = created.rbegin(); it != created.rend(); ++it) ::rmdir(it->c_str());
  };
  std::vector<Dir> needed = dirs_;
  for (const auto& w : writes_) needed.push_back({w.path.parent_path(), 0700});
  for (const auto& m : moves_) needed.push_back({m.to.parent_path(), 0700});
  try {
    for (const auto& d : needed) {
      if (d.path.empty()) continue;
      std::vector<fs::path> chain;
      for (fs::path p = d.path; !p.empty() && missing(p); p = p.parent_path()) {
        chain.push_back(p);
        if (p == p.parent_path()) break;
      }
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        if (::mkdir(it->c_str(), static_cast<mode_t>(d.mode)) != 0) {
          throw Error("cannot create directory " + it->string() + ": " + errno_text(errno) +
                      " (choose a directory you can write to)");
        }
        ::chmod(it->c_str(), static_cast<mode_t>(d.mode));  // mkdir's mode is filtered by the umask
        created.push_back(*it);
      }
      struct stat st {};
      if (::stat(d.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw Error(d.path.string() + " is not a directory");
      }
    }
  } catch (...) {
    undo_dirs();
    throw;
  }

  // 3. Every file under a temporary name, fsynced.
  std::vector<fs::path> temps;
  try {
    for (const auto& w : writes_) temps.push_back(write_temporary(w.path, w.contents, w.mode));
  } catch (...) {
    for (const auto& t : temps) ::unlink(t.c_str());
    undo_dirs();
    throw;
  }

  // 4. Into place. Renames within one directory do not fail for want of space; if one fails anyway, the
  // remaining temporaries are removed and the error names what was already replaced.
  std::set<fs::path> dirs_to_sync;
  for (size_t i = 0; i < writes_.size(); ++i) {
    if (::rename(temps[i].c_str(), writes_[i].path.c_str()) != 0) {
      int err = errno;
      for (size_t j = i; j < temps.size(); ++j) ::unlink(temps[j].c_str());
      std::ostringstream msg;
      msg << "cannot replace " << writes_[i].path.string() << ": " << errno_text(err);
      if (i > 0) msg << " (" << i << " file(s) before it were already written)";
      throw Error(msg.str());
    }
    dirs_to_sync.insert(writes_[i].path.parent_path());
  }
  for (const auto& m : moves_) {
    if (::rename(m.from.c_str(), m.to.c_str()) != 0) {
      throw Error("cannot move " + m.from.string() + " to " + m.to.string() + ": " + errno_text(errno));
    }
    dirs_to_sync.insert(m.from.parent_path());
    dirs_to_sync.insert(m.to.parent_path());
  }
  for (const auto& d : dirs_to_sync) sync_dir(d);
}

std::string read_file(const fs::path& path, const std::string& what) {
  // An ifstream opens a directory and reads nothing, which a parser then calls "invalid JSON" or "no PEM".
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw Error("cannot read " + what + " " + path.string() + ": it is a directory; give the file in it");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("cannot read " + what + " " + path.string() + ": " + errno_text(errno));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace dockgate::files
