// systemd unit files as systemd reads them: the unit found first on the search path, its drop-ins
// (NAME.d/*.conf from every unit directory, ordered by file name, a name in /etc masking the same name
// further down), line continuations, and ExecStart='s rule that an empty assignment clears the list.
// Used to find dockerd's real command line and to catch the drop-ins that stop a unit from loading.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/listen_address.hpp"
#include "setup/host.hpp"

namespace dockgate::setup {

struct UnitSetting {
  std::string section, key, value;
  std::string file;
  int line;
};

// The key=value lines of one unit file, continuations joined, comments dropped.
std::vector<UnitSetting> parse_unit(std::string_view text, const std::string& file);

struct Service {
  std::string name;                   // docker.service
  std::string fragment;               // the unit file, "" when the unit does not exist
  std::vector<std::string> drop_ins;  // in the order systemd applies them
  std::string type = "simple";
  // The effective ExecStart= lines (more than one only for Type=oneshot), each with where it was set.
  std::vector<UnitSetting> exec_start;
  std::vector<std::string> environment_files;  // EnvironmentFile= values, a leading '-' kept
  // ExecStart= set again without being cleared first: systemd refuses to load such a service.
  std::vector<UnitSetting> uncleared_exec_start;

  bool found() const { return !fragment.empty(); }
};

// Loads `name` (and its drop-ins) from the unit directories of `host`. A drop-in whose file name is
// `ignore_drop_in` is left out: setup uses this to see the unit as it was before setup's own drop-in.
Service load_service(const Host& host, const std::string& name, const std::string& ignore_drop_in = "");

// Splits text into words the way systemd does: separated by whitespace, "double" and 'single' quotes,
// backslash escapes.
std::vector<std::string> split_words(std::string_view line);

// The same for an ExecStart= line, whose first word loses its exec prefixes (-, @, :, +, !).
std::vector<std::string> split_command(std::string_view line);

// The inverse: words joined by spaces, quoted only when they need it.
std::string join_command(const std::vector<std::string>& words);

// Replaces each word that is exactly $NAME or ${NAME} by the value of NAME split at whitespace, as systemd
// does; other words are kept.
std::vector<std::string> expand_words(const std::vector<std::string>& words,
                                      const std::map<std::string, std::string>& env);

// The ListenStream= value for a listen address: "0.0.0.0:2376", "[::1]:2376", "/run/x.sock". Throws Error
// naming -H when the address is a host name (systemd binds IP addresses only) or an fd:// address.
std::string listen_stream(const config::ListenAddress& address);

// Variables set in an environment file (KEY=value lines; '#' comments; "double" or 'single' quoted values).
std::map<std::string, std::string> parse_environment_file(std::string_view text);

// The variables a service gets from its EnvironmentFile= lines (files that do not exist are skipped, as
// systemd skips those marked with '-').
std::map<std::string, std::string> service_environment(const Host& host, const Service& service);

}  // namespace dockgate::setup
