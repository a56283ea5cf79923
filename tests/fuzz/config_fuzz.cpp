// The config file (dockerd's daemon.json keys and dockgate's own) on arbitrary text: it is accepted or
// refused with an Error naming the file, and an accepted one merges and yields its listen addresses or an
// Error.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "config/settings.hpp"
#include "error.hpp"

using namespace dockgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    config::Directives file = config::parse_config_file(text, "daemon.json");
    config::Settings settings = config::merge(nlohmann::json::object(), file);
    (void)config::listen_addresses(settings);
  } catch (const Error&) {
  }
  return 0;
}
