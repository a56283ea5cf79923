// The objects a request acts on, and the judgement of what the engine answers about them (answers as a
// real dockerd 20.10 gives them).
#include "authz/targets.hpp"

#include <gtest/gtest.h>

namespace dockgate::authz {
namespace {

using Kind = EngineObject::Kind;

// GET /containers/plain/json of `docker run -d --name plain busybox sleep 1000`, HostConfig whole.
const std::string kPlainHostConfig =
    R"({"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"json-file","Config":{}},"NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"VolumeDriver":"","VolumesFrom":null,"CapAdd":null,"CapDrop":null,"CgroupnsMode":"host","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"private","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":67108864,"Runtime":"runc","ConsoleSize":[0,0],"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"KernelMemory":0,"KernelMemoryTCP":0,"MemoryReservation":0,"MemorySwap":0,"MemorySwappiness":null,"OomKillDisable":false,"PidsLimit":null,"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats","/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi","/sys/firmware"],"ReadonlyPaths":["/proc/bus","/proc/fs","/proc/irq","/proc/sys","/proc/sysrq-trigger"]})";

constexpr std::string_view kId = "d85da16d65f18cccca9b5f5d0a9f1ac3bcda142417d3c4303028fda9418c6f98";
constexpr std::string_view kExecId = "7bbe0411105660ef569ae3ae49e64333225947c5b8d35fb0d6feb92b2976d9b5";

std::string container_json(const std::string& host_config) {
  return R"({"Id":")" + std::string(kId) + R"(","Name":"/c","HostConfig":)" + host_config + "}";
}

// The plain container's HostConfig with one member replaced.
std::string with(const std::string& key, const std::string& value) {
  std::string hc = kPlainHostConfig;
  std::string needle = "\"" + key + "\":";
  std::size_t at = hc.find(needle);
  EXPECT_NE(at, std::string::npos) << key;
  std::size_t start = at + needle.size();
  int depth = 0;
  std::size_t end = start;
  for (; end < hc.size(); ++end) {
    char c = hc[end];
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') {
      if (depth == 0) break;
      --depth;
    }
    if (c == ',' && depth == 0) break;
  }
  return hc.replace(start, end - start, value);
}

bodies::Denial judge(Kind kind, const std::string& body, std::vector<EngineObject>* more = nullptr,
                     int status = 200) {
  static const std::vector<std::string> prefixes = {"/srv"};
  std::vector<EngineObject> ignored;
  return judge_inspected({kind, "x"}, status, body, bodies::Context{&prefixes},
                         more != nullptr ? *more : ignored)
      .denial;
}

TEST(Targets, EndpointsThatHandOverAContainerNameIt) {
  auto of = [](std::string_view method, std::string_view target) { return acted_on(route(method, target)); };
  for (auto [method, target] :
       std::vector<std::pair<const char*, const char*>>{{"POST", "/v1.41/containers/agent/exec"},
                                                        {"POST", "/containers/agent/attach?stream=1"},
                                                        {"GET", "/containers/agent/attach/ws"},
                                                        {"GET", "/containers/agent/archive?path=/"},
                                                        {"HEAD", "/containers/agent/archive?path=/"},
                                                        {"PUT", "/containers/agent/archive?path=/"},
                                                        {"POST", "/containers/agent/start"},
                                                        {"POST", "/containers/agent/restart"},
                                                        {"POST", "/containers/agent/update"}}) {
    auto object = of(method, target);
    ASSERT_TRUE(object) << method << " " << target;
    EXPECT_EQ(*object, (EngineObject{Kind::container, "agent"})) << target;
  }
  EXPECT_EQ(of("POST", "/v1.41/exec/abc123/start"), (EngineObject{Kind::exec, "abc123"}));
  for (auto [method, target] :
       std::vector<std::pair<const char*, const char*>>{{"GET", "/containers/agent/json"},
                                                        {"GET", "/containers/agent/logs"},
                                                        {"POST", "/containers/agent/stop"},
                                                        {"DELETE", "/containers/agent"},
                                                        {"POST", "/containers/create"},
                                                        {"POST", "/exec/abc/resize"}}) {
    EXPECT_FALSE(of(method, target)) << method << " " << target;
  }
}

TEST(Targets, DockerCpReliesOnTheEnginesVersion) {
  // CVE-2026-42306: before 25.0.17 and 29.5.1 the engine mounts a container's volumes for docker cp along
  // paths a running container can swap for symlinks to the host.
  for (auto [method, target] :
       std::vector<std::pair<const char*, const char*>>{{"GET", "/containers/c/archive?path=/"},
                                                        {"HEAD", "/v1.41/containers/c/archive?path=/"},
                                                        {"PUT", "/containers/c/archive?path=/tmp"}}) {
    EXPECT_EQ(engine_relied_on(route(method, target)), (EngineObject{Kind::engine, ""})) << target;
  }
  EXPECT_EQ(engine_relied_on(route("POST", "/containers/c/exec")), std::nullopt);
  EXPECT_EQ(inspect_path({Kind::engine, ""}), "/version");
  for (const char* safe : {"29.5.1", "29.5.3", "29.6.0-rc.1", "30.0.0", "25.0.17", "25.0.20+dfsg1",
                           "29.5.1+b1", "25.0.18~rc1"}) {
    EXPECT_TRUE(archive_mounts_are_safe(safe)) << safe;
  }
  for (const char* old :
       {"29.5.1-rc.1", "25.0.17~rc1", "25.0.17-beta", "20.10.24+dfsg1", "25.0.16", "26.1.5", "28.2.2",
        "29.5.0", "29.4.9", "", "29", "29.5", "v29.5.1", "dev", "29.5.x", "9999999.0.0"}) {
    EXPECT_FALSE(archive_mounts_are_safe(old)) << old;
  }
  auto engine = [](int status, const std::string& body) {
    std::vector<EngineObject> more;
    return judge_inspected({Kind::engine, ""}, status, body, bodies::Context{}, more);
  };
  Inspected old = engine(200, R"({"Version":"20.10.24+dfsg1","ApiVersion":"1.41"})");
  ASSERT_TRUE(old.denial);
  EXPECT_EQ(old.denial->rfind("is version 20.10.24+dfsg1, whose docker cp", 0), 0u) << *old.denial;
  EXPECT_NE(old.denial->find("CVE-2026-42306"), std::string::npos) << *old.denial;
  EXPECT_EQ(engine(200, R"({"Version":"29.5.1","ApiVersion":"1.52"})").denial, std::nullopt);
  EXPECT_TRUE(engine(200, R"({"ApiVersion":"1.52"})").denial);
  ASSERT_TRUE(engine(404, "").denial);  // not "missing": the engine must say
  EXPECT_EQ(engine(404, "").denial->rfind("answered 404 when asked its version", 0), 0u);
  EXPECT_EQ(describe({Kind::engine, ""}), "the engine");
  EXPECT_FALSE(engine(404, "").missing);
  EXPECT_TRUE(engine(500, "").denial);
}

TEST(Targets, TheRequestIsForwardedNamingTheObjectByItsFullId) {
  EXPECT_EQ(target_naming("/v1.41/containers/web/exec", kId),
            "/v1.41/containers/" + std::string(kId) + "/exec");
  EXPECT_EQ(target_naming("/containers/web/archive?path=/tmp/x", kId),
            "/containers/" + std::string(kId) + "/archive?path=/tmp/x");
  EXPECT_EQ(target_naming("/v1.24/exec/e1/start", kExecId), "/v1.24/exec/" + std::string(kExecId) + "/start");
  EXPECT_EQ(target_naming("/v.24/containers/web/start", kId),
            "/v.24/containers/" + std::string(kId) + "/start");
  EXPECT_EQ(target_naming("/containers/web/attach/ws?stream=1", kId),
            "/containers/" + std::string(kId) + "/attach/ws?stream=1");
}

TEST(Targets, InspectPathsTakeOnlyNamesTheEngineCouldHold) {
  EXPECT_EQ(inspect_path({Kind::container, "agent"}), "/containers/agent/json");
  EXPECT_EQ(inspect_path({Kind::exec, "7bbe04"}), "/exec/7bbe04/json");
  EXPECT_EQ(inspect_path({Kind::volume, "data_1.x-y"}), "/volumes/data_1.x-y");
  for (const char* odd : {"", "a b", "../x", "a/b", "a?b", "a%2e", ".hidden", "_x", "caf\xc3\xa9"}) {
    EXPECT_EQ(inspect_path({Kind::volume, odd}), std::nullopt) << odd;
  }
  EXPECT_EQ(describe({Kind::volume, "v"}), "volume \"v\"");
}

TEST(Targets, AContainerTheEngineMadeByDefaultPasses) {
  std::vector<EngineObject> more;
  EXPECT_EQ(judge(Kind::container, container_json(kPlainHostConfig), &more), std::nullopt);
  EXPECT_TRUE(more.empty());
  // The defaults an engine of 25.0 or later stores, with /sys/devices/virtual/powercap, pass too.
  std::string newer =
      with("MaskedPaths", R"(["/proc/asound","/proc/acpi","/proc/kcore","/proc/keys","/proc/latency_stats",)"
                          R"("/proc/timer_list","/proc/timer_stats","/proc/sched_debug","/proc/scsi",)"
                          R"("/sys/firmware","/sys/devices/virtual/powercap"])");
  EXPECT_EQ(judge(Kind::container, container_json(newer)), std::nullopt);
}

TEST(Targets, AContainerThatEscapesIsRefusedByItsField) {
  struct Case {
    const char* key;
    const char* value;
    const char* says;
  };
  for (const Case& c : std::vector<Case>{
           {"Binds", R"(["/:/host"])", "HostConfig.Binds binds host path \"/\""},
           {"Privileged", "true", "HostConfig.Privileged is set"},
           {"NetworkMode", R"("host")", "HostConfig.NetworkMode"},
           {"PidMode", R"("host")", "HostConfig.PidMode"},
           {"CapAdd", R"(["SYS_ADMIN"])", "HostConfig.CapAdd adds \"SYS_ADMIN\""},
           {"SecurityOpt", R"(["seccomp=unconfined"])", "HostConfig.SecurityOpt"},
           {"MaskedPaths", "[]", "HostConfig.MaskedPaths is empty"},
           {"ReadonlyPaths", R"(["/proc/sys"])", "HostConfig.ReadonlyPaths drops"},
           {"Devices",
            R"([{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}])",
            "HostConfig.Devices is set"},
           {"VolumesFrom", R"(["agent"])", "HostConfig.VolumesFrom is set"},
       }) {
    auto d = judge(Kind::container, container_json(with(c.key, c.value)));
    ASSERT_TRUE(d) << c.key;
    EXPECT_NE(d->find(c.says), std::string::npos) << *d;
  }
  // A bind of the role's prefix itself is as a request could have asked.
  EXPECT_EQ(judge(Kind::container, container_json(with("Binds", R"(["/srv:/data:ro"])"))), std::nullopt);
}

TEST(Targets, AContainersNamedVolumesAreJudgedNext) {
  std::vector<EngineObject> more;
  std::string hc = with("Binds", R"(["hostroot:/hr","/srv:/x","/anonymous"])");
  hc.insert(
      1, R"("Mounts":[{"Type":"volume","Source":"cache","Target":"/c"},{"Type":"volume","Target":"/a"}],)");
  EXPECT_EQ(judge(Kind::container, container_json(hc), &more), std::nullopt);
  EXPECT_EQ(more, (std::vector<EngineObject>{{Kind::volume, "cache"}, {Kind::volume, "hostroot"}}));
}

TEST(Targets, AnExecIsItsPrivilegeAndItsContainer) {
  std::vector<EngineObject> more;
  const char* privileged =
      R"({"ID":"7bbe0411105660ef569ae3ae49e64333225947c5b8d35fb0d6feb92b2976d9b5","Running":false,"ExitCode":null,"ProcessConfig":{"tty":false,"entrypoint":"true",)"
      R"("arguments":[],"privileged":true},"ContainerID":"d85da16d65f18cccca9b5f5d0a9f1ac3bcda142417d3c4303028fda9418c6f98","Pid":0})";
  auto d = judge(Kind::exec, privileged, &more);
  ASSERT_TRUE(d);
  EXPECT_NE(d->find("privileged"), std::string::npos);
  EXPECT_TRUE(more.empty());
  std::string plain = privileged;
  plain.replace(plain.find("\"privileged\":true"), 17, "\"privileged\":false");
  EXPECT_EQ(judge(Kind::exec, plain, &more), std::nullopt);
  EXPECT_EQ(more, (std::vector<EngineObject>{{Kind::container, std::string(kId)}}));
  EXPECT_TRUE(judge(
      Kind::exec,
      R"({"ID":"7bbe04","ContainerID":"d85da16d65f18cccca9b5f5d0a9f1ac3bcda142417d3c4303028fda9418c6f98"})"));  // says nothing certain
}

TEST(Targets, AVolumeIsJudgedAsCreatingItWouldBe) {
  EXPECT_EQ(
      judge(Kind::volume, R"({"Driver":"local","Labels":null,"Name":"v","Options":null,"Scope":"local"})"),
      std::nullopt);
  EXPECT_EQ(
      judge(Kind::volume, R"({"Driver":"local","Name":"t","Options":{"type":"tmpfs","device":"tmpfs"}})"),
      std::nullopt);
  auto bind =
      judge(Kind::volume,
            R"({"Driver":"local","Name":"hostroot","Options":{"device":"/","o":"bind","type":"none"}})");
  ASSERT_TRUE(bind);
  EXPECT_NE(bind->find("Options"), std::string::npos) << *bind;
  EXPECT_TRUE(judge(Kind::volume, R"({"Driver":"rexray","Name":"p","Options":null})"));
  EXPECT_TRUE(judge(Kind::volume, R"({"Name":"p"})"));
}

TEST(Targets, OnlyAnAnswerThatSaysSomethingCertainPasses) {
  std::vector<EngineObject> more;
  const std::vector<std::string> none;
  Inspected missing = judge_inspected({Kind::container, "x"}, 404, "{}", bodies::Context{&none}, more);
  EXPECT_TRUE(missing.missing);
  EXPECT_EQ(missing.denial, std::nullopt);
  Inspected plain = judge_inspected({Kind::container, "x"}, 200, container_json(kPlainHostConfig),
                                    bodies::Context{&none}, more);
  EXPECT_EQ(plain.id, kId);
  auto big = judge(Kind::container, "", nullptr, kAnswerTooLarge);
  ASSERT_TRUE(big);
  EXPECT_NE(big->find("more than 4 MiB"), std::string::npos) << *big;
  // An answer without a full ID gives nothing to forward the request by.
  std::string short_id = container_json(kPlainHostConfig);
  short_id.replace(short_id.find(kId), kId.size(), "d85da16d");
  EXPECT_TRUE(judge(Kind::container, short_id));
  auto failed = judge(Kind::container, R"({"message":"oops"})", nullptr, 500);
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->find("500"), std::string::npos);
  EXPECT_TRUE(judge(Kind::container, R"({"Id":"x"})"));                       // no HostConfig
  EXPECT_TRUE(judge(Kind::container, R"({"Id":"x","HostConfig":{"Privil)"));  // cut short
  EXPECT_TRUE(judge(Kind::container, container_json(with("Runtime", R"("kata")"))));
  EXPECT_TRUE(judge(Kind::container, container_json(R"({"FutureField":1})")));  // unknown: refused by name
}

}  // namespace
}  // namespace dockgate::authz
