// Where dockgate keeps its state (the PKI, and later the gateway's generated material) when not told.
#pragma once

#include <filesystem>

namespace dockgate::files {

// $DOCKGATE_STATE_DIR if set; otherwise /var/lib/dockgate for root and
// ${XDG_STATE_HOME:-$HOME/.local/state}/dockgate for everyone else.
std::filesystem::path default_state_dir();

}  // namespace dockgate::files
