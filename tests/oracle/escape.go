package main

// A body decoded exactly as the engine's handlers decode it (moby 20.10), and whether what was decoded
// leaves the default container sandbox. Written from the decoded structs, not from dockgate's tables: the
// point is to catch any difference between how dockgate and Go read the same bytes.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/pkg/sysinfo"
	"github.com/docker/docker/runconfig"
)

var sysInfo = sysinfo.New(true)

var defaultCaps = map[string]bool{"CAP_CHOWN": true, "CAP_DAC_OVERRIDE": true, "CAP_FSETID": true,
	"CAP_FOWNER": true, "CAP_MKNOD": true, "CAP_NET_RAW": true, "CAP_SETGID": true, "CAP_SETUID": true,
	"CAP_SETFCAP": true, "CAP_SETPCAP": true, "CAP_NET_BIND_SERVICE": true, "CAP_SYS_CHROOT": true,
	"CAP_KILL": true, "CAP_AUDIT_WRITE": true}

func decode(body []byte, v interface{}) error {
	return json.NewDecoder(bytes.NewReader(body)).Decode(v)
}

// escapes returns what in the decoded body leaves the sandbox ("" for nothing), or the decoder's error. A
// panic in the engine's decoder (runconfig dereferences a missing Config) is an error too: net/http
// recovers it and no container is created.
func escapes(endpoint string, body []byte) (escape string, err error) {
	defer func() {
		if p := recover(); p != nil {
			escape, err = "", fmt.Errorf("the engine's decoder panicked: %v", p)
		}
	}()
	switch endpoint {
	case "container.create":
		_, hc, nc, err := runconfig.ContainerDecoder{GetSysInfo: func() *sysinfo.SysInfo { return sysInfo }}.DecodeConfig(bytes.NewReader(body))
		if err != nil {
			return "", err
		}
		if nc != nil {
			for name := range nc.EndpointsConfig {
				if name == "host" {
					return "endpoint on the host network", nil
				}
			}
		}
		if hc == nil {
			return "", nil
		}
		return hostConfigEscape(hc), nil
	case "container.update":
		var u container.UpdateConfig
		if err := decode(body, &u); err != nil {
			return "", err
		}
		return resourcesEscape(&u.Resources), nil
	case "container.exec":
		var e types.ExecConfig
		if err := decode(body, &e); err != nil {
			return "", err
		}
		if e.Privileged {
			return "privileged exec", nil
		}
		return "", nil
	case "volume.create":
		var v volume.VolumeCreateBody
		if err := decode(body, &v); err != nil {
			return "", err
		}
		return volumeEscape(v.Driver, v.DriverOpts), nil
	case "network.create":
		var n types.NetworkCreateRequest
		if err := decode(body, &n); err != nil {
			return "", err
		}
		if n.Driver != "" && n.Driver != "bridge" && n.Driver != "overlay" {
			return "network driver " + n.Driver, nil
		}
		if _, ok := n.Options["com.docker.network.bridge.name"]; ok {
			return "host bridge name", nil
		}
		if n.Ingress || n.ConfigFrom != nil {
			return "ingress or config-from network", nil
		}
		return "", nil
	case "service.create", "service.update":
		var s swarm.ServiceSpec
		if err := decode(body, &s); err != nil {
			return "", err
		}
		if s.TaskTemplate.PluginSpec != nil || s.TaskTemplate.Runtime == swarm.RuntimePlugin {
			return "plugin task", nil
		}
		if c := s.TaskTemplate.ContainerSpec; c != nil {
			for _, m := range c.Mounts {
				if e := mountEscape(m); e != "" {
					return e, nil
				}
			}
			if e := capsEscape(c.CapabilityAdd); e != "" {
				return e, nil
			}
			if c.Privileges != nil && c.Privileges.SELinuxContext != nil && c.Privileges.SELinuxContext.Disable {
				return "SELinux disabled", nil
			}
		}
		for _, n := range append(s.Networks, s.TaskTemplate.Networks...) {
			if n.Target == "host" {
				return "host network", nil
			}
		}
		return "", nil
	}
	return "", fmt.Errorf("no decoder for %s", endpoint)
}

func isBindPrefix(source string) bool {
	return source != "" && strings.TrimRight(source, "/") == "/srv/ci" // a bind prefix is bound whole
}

func capsEscape(caps []string) string {
	for _, c := range caps {
		u := strings.ToUpper(c) // what oci/caps does: Unicode upper-casing
		if !strings.HasPrefix(u, "CAP_") {
			u = "CAP_" + u
		}
		if !defaultCaps[u] {
			return "capability " + c
		}
	}
	return ""
}

func volumeEscape(driver string, opts map[string]string) string {
	if driver != "" && driver != "local" {
		return "volume driver " + driver
	}
	if len(opts) == 0 {
		return ""
	}
	if t := opts["type"]; t != "tmpfs" && t != "nfs" && t != "nfs4" {
		return "local volume of type " + t
	}
	for _, o := range strings.Split(opts["o"], ",") {
		if o == "bind" || o == "rbind" || o == "remount" {
			return "local volume option " + o
		}
	}
	return ""
}

func mountEscape(m mount.Mount) string {
	switch m.Type {
	case mount.TypeBind:
		if !isBindPrefix(m.Source) {
			return "bind of " + m.Source
		}
	case mount.TypeVolume:
		if m.VolumeOptions != nil && m.VolumeOptions.DriverConfig != nil {
			return volumeEscape(m.VolumeOptions.DriverConfig.Name, m.VolumeOptions.DriverConfig.Options)
		}
	case mount.TypeTmpfs:
	default:
		return "mount type " + string(m.Type)
	}
	return ""
}

func hasAll(list, defaults []string) bool {
	for _, d := range defaults {
		found := false
		for _, p := range list {
			found = found || p == d
		}
		if !found {
			return false
		}
	}
	return true
}

func resourcesEscape(r *container.Resources) string {
	if r.CgroupParent != "" || len(r.Devices) > 0 || len(r.DeviceCgroupRules) > 0 || len(r.DeviceRequests) > 0 {
		return "cgroup parent or devices"
	}
	return ""
}

func hostConfigEscape(hc *container.HostConfig) string {
	if hc.Privileged {
		return "privileged"
	}
	for _, b := range hc.Binds {
		parts := strings.Split(b, ":")
		if len(parts) >= 2 && strings.HasPrefix(parts[0], "/") && !isBindPrefix(parts[0]) {
			return "bind of " + parts[0]
		}
	}
	for _, m := range hc.Mounts {
		if e := mountEscape(m); e != "" {
			return e
		}
	}
	if e := capsEscape(hc.CapAdd); e != "" {
		return e
	}
	if e := resourcesEscape(&hc.Resources); e != "" {
		return e
	}
	if hc.NetworkMode.IsHost() || hc.NetworkMode.IsContainer() || hc.PidMode.IsHost() || hc.PidMode.IsContainer() ||
		hc.IpcMode.IsHost() || hc.IpcMode.IsContainer() || hc.UTSMode.IsHost() || hc.UsernsMode.IsHost() ||
		hc.Cgroup != "" {
		return "shared namespace"
	}
	for _, opt := range hc.SecurityOpt {
		if opt != "no-new-privileges" && !strings.HasPrefix(opt, "no-new-privileges") &&
			opt != "apparmor=docker-default" && !strings.HasPrefix(opt, "label=user:") &&
			!strings.HasPrefix(opt, "label=role:") && !strings.HasPrefix(opt, "label=level:") {
			return "security option " + opt
		}
	}
	if hc.MaskedPaths != nil && !hasAll(hc.MaskedPaths, []string{"/proc/kcore", "/proc/keys", "/sys/firmware", "/proc/acpi"}) {
		return "masked paths dropped"
	}
	if hc.ReadonlyPaths != nil && !hasAll(hc.ReadonlyPaths, []string{"/proc/sys", "/proc/sysrq-trigger", "/proc/bus"}) {
		return "read-only paths dropped"
	}
	for k := range hc.Sysctls {
		if !strings.HasPrefix(k, "net.") && !strings.HasPrefix(k, "fs.mqueue.") && !strings.HasPrefix(k, "kernel.shm") &&
			!strings.HasPrefix(k, "kernel.msg") && k != "kernel.sem" {
			return "sysctl " + k
		}
	}
	if hc.Runtime != "" && hc.Runtime != "runc" && hc.Runtime != "io.containerd.runc.v2" {
		return "runtime " + hc.Runtime
	}
	if len(hc.VolumesFrom) > 0 {
		return "volumes from another container"
	}
	if hc.VolumeDriver != "" && hc.VolumeDriver != "local" {
		return "volume driver " + hc.VolumeDriver
	}
	switch hc.LogConfig.Type {
	case "", "json-file", "local", "journald", "none":
	default:
		return "log driver " + hc.LogConfig.Type
	}
	return ""
}
