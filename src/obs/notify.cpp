// sd_notify wrappers.
#include "obs/notify.hpp"

#include <systemd/sd-daemon.h>

namespace dockgate::obs {

void notify_ready() {
  sd_notify(0, "READY=1\nSTATUS=serving");
}
void notify_stopping() {
  sd_notify(0, "STOPPING=1\nSTATUS=shutting down");
}

}  // namespace dockgate::obs
