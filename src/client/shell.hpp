// Setting and clearing environment variables in each shell's own syntax and quoting, for
// `dockgate client env` (the lines people paste or eval).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace dockgate::client {

enum class Shell { bash, zsh, fish, powershell, cmd };

// Parses --shell; throws Error naming the flag.
Shell parse_shell(const std::string& name);
// The shell in $SHELL (bash when unknown).
Shell shell_from_env(const char* shell_env);

using Variables = std::vector<std::pair<std::string, std::string>>;

// Lines that set each variable, and a last comment line saying how to apply them.
std::string set_lines(Shell shell, const Variables& vars);
// Lines that remove each variable.
std::string unset_lines(Shell shell, const std::vector<std::string>& names);

// A value quoted so that the shell reads it back unchanged.
std::string quote(Shell shell, const std::string& value);

}  // namespace dockgate::client
