// Telling systemd where the gateway is in its life (Type=notify units): READY=1 once every listener
// serves, STOPPING=1 when shutdown begins. Does nothing when not run by systemd.
#pragma once

namespace dockgate::obs {

void notify_ready();
void notify_stopping();

}  // namespace dockgate::obs
