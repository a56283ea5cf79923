// A set of file writes that lands all together or not at all, with the modes set before any byte is
// visible. Used wherever dockgate writes keys, certificates or configs, so that a failure never leaves a
// half-written PKI or config behind and nothing existing is replaced unless the caller said so.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace dockgate::files {

enum class Existing { keep, replace };

class Batch {
 public:
  // Stages `contents` for `path` with permission bits `mode`. With Existing::keep, commit() refuses to
  // run if `path` already exists.
  void write(std::filesystem::path path, std::string contents, unsigned mode,
             Existing existing = Existing::keep);

  // Stages the creation of `dir` (and missing parents) with `mode`; existing directories are left as they
  // are.
  void make_dir(std::filesystem::path dir, unsigned mode);

  // Stages renaming `from` to `to` after all writes; `to` must not exist.
  void move(std::filesystem::path from, std::filesystem::path to);

  // Lands every staged change. Throws Error naming every conflicting path before touching anything, or the
  // path that could not be written; in both cases the files and directories are as they were before.
  // `remedy` ends the conflict message with what the command's user can do: the flag that names another
  // place differs from command to command (--dir, --archive, --output).
  void commit(std::string_view remedy = "pass --force to replace, or choose another --dir");

  // The paths this batch writes, in the order they were staged (for reporting what was made).
  std::vector<std::filesystem::path> written() const;

 private:
  struct Write {
    std::filesystem::path path;
    std::string contents;
    unsigned mode;
    Existing existing;
  };
  struct Dir {
    std::filesystem::path path;
    unsigned mode;
  };
  struct Move {
    std::filesystem::path from, to;
  };
  std::vector<Dir> dirs_;
  std::vector<Write> writes_;
  std::vector<Move> moves_;
};

// Reads a whole file; throws Error naming `what` and the path when it cannot.
std::string read_file(const std::filesystem::path& path, const std::string& what);

}  // namespace dockgate::files
