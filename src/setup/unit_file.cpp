// Reading units like systemd's load_fragment.c and unit_file_find_dropin_paths(): enough of it to know
// what a service will run, never to edit a unit in place (setup only ever adds drop-ins).
#include "setup/unit_file.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "error.hpp"
#include "pki/names.hpp"

namespace dockgate::setup {

namespace {

// The system unit search path, highest priority first (systemd.unit(5), "System Unit Search Path").
const std::vector<std::string>& unit_dirs() {
  static const std::vector<std::string> dirs = {"/etc/systemd/system", "/run/systemd/system",
                                                "/usr/local/lib/systemd/system", "/lib/systemd/system",
                                                "/usr/lib/systemd/system"};
  return dirs;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

}  // namespace

std::vector<UnitSetting> parse_unit(std::string_view text, const std::string& file) {
  std::vector<UnitSetting> out;
  std::string section, pending;
  int line_no = 0, start_line = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view raw = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    std::string line = trim(raw);
    if (pending.empty()) {
      start_line = line_no;
      if (line.empty() || line[0] == '#' || line[0] == ';') continue;
      if (line.front() == '[' && line.back() == ']') {
        section = line.substr(1, line.size() - 2);
        continue;
      }
    } else if (!line.empty() && (line[0] == '#' || line[0] == ';')) {
      continue;  // systemd skips comment lines inside a continuation
    }
    if (!line.empty() && line.back() == '\\') {
      line.pop_back();
      pending += line + " ";
      continue;
    }
    pending += line;
    size_t eq = pending.find('=');
    if (eq != std::string::npos) {
      out.push_back({section, trim(std::string_view(pending).substr(0, eq)),
                     trim(std::string_view(pending).substr(eq + 1)), file, start_line});
    }
    pending.clear();
  }
  return out;
}

Service load_service(const Host& host, const std::string& name, const std::string& ignore_drop_in) {
  Service s;
  s.name = name;
  for (const auto& dir : unit_dirs()) {
    std::string path = (std::filesystem::path(dir) / name).string();
    if (host.read(path)) {
      s.fragment = path;
      break;
    }
  }
  if (!s.found()) return s;

  std::map<std::string, std::string> by_name;  // file name → path; the first (highest-priority) wins
  for (const auto& dir : unit_dirs()) {
    std::filesystem::path drop_in_dir = std::filesystem::path(dir) / (name + ".d");
    for (const auto& f : host.list(drop_in_dir.string())) {
      if (f.size() > 5 && f.ends_with(".conf") && f != ignore_drop_in)
        by_name.emplace(f, (drop_in_dir / f).string());
    }
  }
  std::vector<std::string> files = {s.fragment};
  for (const auto& [file, path] : by_name) {
    s.drop_ins.push_back(path);
    files.push_back(path);
  }

  for (const auto& file : files) {
    std::optional<std::string> text = host.read(file);
    if (!text) continue;
    for (auto& setting : parse_unit(*text, file)) {
      if (setting.section != "Service") continue;
      if (setting.key == "Type") {
        s.type = setting.value;
      } else if (setting.key == "EnvironmentFile") {
        if (setting.value.empty()) {
          s.environment_files.clear();
        } else {
          s.environment_files.push_back(setting.value);
        }
      } else if (setting.key == "ExecStart") {
        if (setting.value.empty()) {
          s.exec_start.clear();
        } else {
          if (!s.exec_start.empty()) s.uncleared_exec_start.push_back(setting);
          s.exec_start.push_back(setting);
        }
      }
    }
  }
  // More than one ExecStart= is what oneshot services are for; for them nothing is wrong.
  if (s.type == "oneshot") s.uncleared_exec_start.clear();
  return s;
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) break;
    std::string word;
    char quote = 0;
    for (; i < line.size(); ++i) {
      char c = line[i];
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < line.size()) {
          word += line[++i];
        } else {
          word += c;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '\\' && i + 1 < line.size()) {
        word += line[++i];
      } else if (is_space(c)) {
        break;
      } else {
        word += c;
      }
    }
    words.push_back(std::move(word));
  }
  return words;
}

std::vector<std::string> split_command(std::string_view line) {
  std::vector<std::string> words = split_words(line);
  if (!words.empty()) {
    std::string& first = words.front();
    first.erase(0, std::min(first.find_first_not_of("-@:+!"), first.size()));
  }
  return words;
}

std::string join_command(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    bool plain = !w.empty() && w.find_first_of(" \t\"'\\;") == std::string::npos;
    if (plain) {
      out += w;
      continue;
    }
    out += '"';
    for (char c : w) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out;
}

std::vector<std::string> expand_words(const std::vector<std::string>& words,
                                      const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  out.reserve(words.size());
  for (const auto& w : words) {
    std::string name;
    if (w.size() > 1 && w[0] == '$' && w[1] != '{') name = w.substr(1);
    if (w.size() > 3 && w.starts_with("${") && w.back() == '}') name = w.substr(2, w.size() - 3);
    if (name.empty()) {
      out.push_back(w);
      continue;
    }
    auto it = env.find(name);
    if (it == env.end()) continue;  // unset: the word disappears
    std::vector<std::string> parts = split_words(it->second);
    out.insert(out.end(), parts.begin(), parts.end());
  }
  return out;
}

std::string listen_stream(const config::ListenAddress& a) {
  switch (a.kind) {
    case config::ListenAddress::Kind::unix_socket:
      return a.path;
    case config::ListenAddress::Kind::tcp:
      if (pki::parse_host(a.host, "-H").kind != pki::HostName::Kind::ip) {
        throw Error("-H " + a.text() + ": systemd listens on IP addresses only; give one instead of a name");
      }
      return (a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host) + ":" +
             std::to_string(a.port);
    case config::ListenAddress::Kind::fd:
      break;
  }
  throw Error("-H " + a.text() + ": give the tcp:// or unix:// address the socket unit should listen on");
}

std::map<std::string, std::string> parse_environment_file(std::string_view text) {
  std::map<std::string, std::string> env;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.starts_with("export ")) line = trim(std::string_view(line).substr(7));
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string value = trim(std::string_view(line).substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    env[trim(std::string_view(line).substr(0, eq))] = value;
  }
  return env;
}

std::map<std::string, std::string> service_environment(const Host& host, const Service& service) {
  std::map<std::string, std::string> env;
  for (std::string file : service.environment_files) {
    if (file.starts_with("-")) file.erase(0, 1);
    std::optional<std::string> text = host.read(file);
    if (!text) continue;
    for (auto& [k, v] : parse_environment_file(*text)) env[k] = v;
  }
  return env;
}

}  // namespace dockgate::setup
