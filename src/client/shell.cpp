// Quoting per shell: POSIX single quotes ('\'' for a quote), fish single quotes (backslash escapes \\ and
// \'), PowerShell single quotes (a quote doubled), cmd's `set "NAME=value"` form (no expansion inside).
#include "client/shell.hpp"

#include <filesystem>

#include "error.hpp"

namespace dockgate::client {

Shell parse_shell(const std::string& name) {
  if (name == "bash" || name == "sh") return Shell::bash;
  if (name == "zsh") return Shell::zsh;
  if (name == "fish") return Shell::fish;
  if (name == "powershell" || name == "pwsh") return Shell::powershell;
  if (name == "cmd") return Shell::cmd;
  throw UsageError("--shell " + name + ": use bash, zsh, fish, powershell or cmd");
}

Shell shell_from_env(const char* shell_env) {
  if (shell_env == nullptr) return Shell::bash;
  std::string base = std::filesystem::path(shell_env).filename().string();
  if (base == "zsh") return Shell::zsh;
  if (base == "fish") return Shell::fish;
  if (base == "pwsh" || base == "powershell") return Shell::powershell;
  return Shell::bash;
}

std::string quote(Shell shell, const std::string& value) {
  std::string out;
  switch (shell) {
    case Shell::bash:
    case Shell::zsh:
      out = "'";
      for (char c : value) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      return out + "'";
    case Shell::fish:
      out = "'";
      for (char c : value) {
        if (c == '\\' || c == '\'') out += '\\';
        out += c;
      }
      return out + "'";
    case Shell::powershell:
      out = "'";
      for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
      return out + "'";
    case Shell::cmd:
      return value;  // used inside set "NAME=value", where only " would end it (refused below)
  }
  return value;
}

std::string set_lines(Shell shell, const Variables& vars) {
  std::string out;
  for (const auto& [name, value] : vars) {
    switch (shell) {
      case Shell::bash:
      case Shell::zsh:
        out += "export " + name + "=" + quote(shell, value) + "\n";
        break;
      case Shell::fish:
        out += "set -gx " + name + " " + quote(shell, value) + ";\n";
        break;
      case Shell::powershell:
        out += "$Env:" + name + " = " + quote(shell, value) + "\n";
        break;
      case Shell::cmd:
        if (value.find('"') != std::string::npos) throw Error("cmd cannot hold a double quote in " + name);
        out += "set \"";
        out += name;
        out += "=";
        out += value;
        out += "\"\n";
        break;
    }
  }
  switch (shell) {
    case Shell::bash:
    case Shell::zsh:
      out += "# Run this command to configure your shell:\n# eval \"$(dockgate client env ...)\"\n";
      break;
    case Shell::fish:
      out += "# Run this command to configure your shell:\n# dockgate client env --shell fish ... | source\n";
      break;
    case Shell::powershell:
      out +=
          "# Run this command to configure your shell:\n"
          "# & dockgate client env --shell powershell ... | Invoke-Expression\n";
      break;
    case Shell::cmd:
      out +=
          "REM Run these lines in cmd, or:\n"
          "REM @FOR /f \"tokens=*\" %i IN ('dockgate client env --shell cmd ...') DO @%i\n";
      break;
  }
  return out;
}

std::string unset_lines(Shell shell, const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) {
    switch (shell) {
      case Shell::bash:
      case Shell::zsh:
        out += "unset " + name + "\n";
        break;
      case Shell::fish:
        out += "set -e " + name + ";\n";
        break;
      case Shell::powershell:
        out += "Remove-Item Env:\\" + name + " -ErrorAction SilentlyContinue\n";
        break;
      case Shell::cmd:
        out += "set " + name + "=\n";
        break;
    }
  }
  return out;
}

}  // namespace dockgate::client
