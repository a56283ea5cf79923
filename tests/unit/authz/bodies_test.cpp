// The body tables and their walker: every row of every shape is walked with values of each kind, and the
// escapes and false positives named in the sandbox's history are decided as they must be.
#include <gtest/gtest.h>

#include <string>

#include "authz/bodies/checks.hpp"
#include "authz/bodies/judge.hpp"

namespace dockgate::authz::bodies {
namespace {

const std::vector<std::string> kPrefixes = {"/srv/ci"};
const Context kContext{&kPrefixes};

Denial judge(std::string_view endpoint, const std::string& body) {
  return judge_body(endpoint, body, kContext);
}

Denial create(const std::string& host_config) {
  return judge("container.create", R"({"Image":"busybox","HostConfig":)" + host_config + "}");
}

// A value of the right kind that is not the zero value.
std::string example(Wire w) {
  switch (w) {
    case Wire::boolean:
      return "true";
    case Wire::string:
      return "\"x\"";
    case Wire::integer:
    case Wire::unsigned_integer:
    case Wire::number:
      return "1";
    case Wire::string_list:
    case Wire::string_or_list:
      return "[\"x\"]";
    case Wire::string_map:
      return "{\"x\":\"y\"}";
    case Wire::string_list_list:
      return "[[\"x\"]]";
    case Wire::unsigned_list:
      return "[1]";
    case Wire::object:
      return "{\"NoSuchField\":1}";
    case Wire::object_list:
      return "[{\"NoSuchField\":1}]";
    case Wire::object_map:
      return "{\"x\":{\"NoSuchField\":1}}";
    case Wire::object_list_map:
      return "{\"x\":[{\"NoSuchField\":1}]}";
  }
  return "";
}

// A value of another JSON kind than the field takes.
std::string wrong_kind(Wire w) {
  return w == Wire::string || w == Wire::string_or_list ? "{}" : "\"x\"";
}

Denial walk(const Shape& shape, const std::string& object) {
  JsonDocument doc(object);
  return judge_object(doc.root(), shape, kContext);
}

TEST(Bodies, EveryRowOfEveryShapeIsWalked) {
  int rows = 0;
  for (const Shape* shape : all_shapes()) {
    for (const Field& f : shape->fields) {
      ++rows;
      std::string key = "\"" + std::string(f.name) + "\"";
      SCOPED_TRACE(std::string(shape->go_type) + "." + std::string(f.name));
      EXPECT_TRUE(walk(*shape, "{" + key + ":" + wrong_kind(f.wire) + "}")) << "a wrong kind passed";
      // A lone null leaves the field as it was: absent (then only a whole-object check can refuse).
      if (shape->whole == nullptr) {
        EXPECT_FALSE(walk(*shape, "{" + key + ":null}"));
      }
      // The key twice, spelt as Go's decoder folds it.
      std::string folded = go_fold(f.name);
      EXPECT_TRUE(walk(*shape, "{" + key + ":null,\"" + folded + "\":null}")) << "a repeated key passed";
      Denial set = walk(*shape, "{" + key + ":" + example(f.wire) + "}");
      if (f.verdict == Verdict::refused) {
        EXPECT_TRUE(set) << "a refused field was allowed";
        if (set) {
          EXPECT_NE(set->find(f.name), std::string::npos) << *set;
        }
      }
      if (f.verdict == Verdict::harmless && f.shape == nullptr && shape->whole == nullptr) {
        EXPECT_FALSE(set) << *set;
      }
      if (f.shape != nullptr && f.verdict != Verdict::refused) {
        // Nested objects are walked: their unknown keys are refused by name.
        ASSERT_TRUE(set);
        EXPECT_NE(set->find("NoSuchField"), std::string::npos) << *set;
      }
    }
    EXPECT_TRUE(walk(*shape, R"({"NoSuchField":1})")) << shape->go_type;
    EXPECT_TRUE(walk(*shape, R"({"NoSuchField":{}})")) << shape->go_type;
  }
  EXPECT_GT(rows, 300);
}

TEST(Bodies, EveryCheckedRowSaysWhyAndHasACheck) {
  for (const Shape* shape : all_shapes()) {
    for (const Field& f : shape->fields) {
      if (f.verdict == Verdict::harmless) continue;
      EXPECT_FALSE(f.why.empty()) << shape->go_type << "." << f.name;
      if (f.verdict == Verdict::checked) {
        EXPECT_NE(f.check, nullptr) << shape->go_type << "." << f.name;
      }
    }
  }
}

// The six classes of escape found against the previous checks (issue 27).
TEST(Bodies, NullAfterAValueIsARepeatedKey) {
  auto d = create(R"({"Privileged":true,"Privileged":null})");
  ASSERT_TRUE(d);
  EXPECT_NE(d->find("given twice"), std::string::npos) << *d;
  EXPECT_TRUE(create(R"({"NetworkMode":"host","networkmode":null})"));
  EXPECT_TRUE(judge("container.exec", R"({"Privileged":true,"PRIVILEGED":null})"));
  EXPECT_FALSE(create(R"({"Privileged":null})"));  // alone, null is absent: Go leaves false
}

TEST(Bodies, RepeatedArraysAndObjectsAreRefused) {
  EXPECT_TRUE(create(
      R"({"Mounts":[{"Type":"volume","Source":"v","Target":"/h","VolumeOptions":{"DriverConfig":{"Options":{"type":"none","o":"bind","device":"/"}}}}],)"
      R"("Mounts":[{"Type":"volume","Source":"v","Target":"/h"}]})"));
  EXPECT_TRUE(judge("container.create", R"({"HostConfig":{"Memory":1},"hostconfig":{"Privileged":true}})"));
  EXPECT_TRUE(create(R"({"Sysctls":{"net.ipv4.ip_forward":"1","net.ipv4.ip_forward":"0"}})"));
  EXPECT_FALSE(judge("container.create", R"({"Labels":{"a":"1","A":"0"}})")) << "map keys are exact";
}

TEST(Bodies, MaskedAndReadonlyPathsKeepEveryDefault) {
  EXPECT_TRUE(create(R"({"MaskedPaths":[]})"));
  EXPECT_TRUE(create(R"({"MaskedPaths":["/proc/kcore"]})"));
  EXPECT_TRUE(create(R"({"ReadonlyPaths":["/proc/bus"]})"));
  std::string all = "[";
  for (auto p : checks::default_readonly_paths()) all += "\"" + std::string(p) + "\",";
  EXPECT_FALSE(create(R"({"ReadonlyPaths":)" + all + R"("/extra"]})"));
  std::string masked = "[";
  for (auto p : checks::default_masked_paths()) masked += "\"" + std::string(p) + "\",";
  EXPECT_FALSE(create(R"({"MaskedPaths":)" + masked + R"("/proc/extra"]})"));
}

TEST(Bodies, SecurityOptIsAnAllowList) {
  for (const char* bad : {R"(["seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\"}"])", R"(["label=type:spc_t"])",
                          R"(["label=disable"])", R"(["label:disable"])", R"(["apparmor=unconfined"])",
                          R"(["apparmor:unconfined"])", R"(["systempaths=unconfined"])", R"(["disable"])",
                          R"(["seccomp=unconfined"])"}) {
    EXPECT_TRUE(create(std::string(R"({"SecurityOpt":)") + bad + "}")) << bad;
  }
  EXPECT_FALSE(create(
      R"({"SecurityOpt":["no-new-privileges","no-new-privileges=true","no-new-privileges:true","apparmor=docker-default","label=user:u","label=role:r","label=level:s0:c1"]})"));
}

// The false positives an ordinary operator hit.
TEST(Bodies, OrdinaryOperatorsAreNotRefused) {
  EXPECT_FALSE(create(R"({"CapDrop":["ALL"],"CapAdd":["NET_BIND_SERVICE"]})"));
  EXPECT_FALSE(create(R"({"CapAdd":["cap_chown","CAP_KILL"]})"));
  EXPECT_FALSE(create(R"({"Sysctls":{"net.ipv4.ip_unprivileged_port_start":"0","kernel.shmmax":"1"}})"));
  EXPECT_FALSE(
      judge("volume.create",
            R"({"Name":"t","DriverOpts":{"type":"tmpfs","device":"tmpfs","o":"size=100m,uid=1000"}})"));
  EXPECT_FALSE(judge(
      "volume.create",
      R"({"Name":"n","Driver":"local","DriverOpts":{"type":"nfs","o":"addr=10.0.0.1,rw,hard","device":":/export"}})"));
  EXPECT_FALSE(create(R"({"Runtime":"io.containerd.runc.v2"})"));
  EXPECT_FALSE(create(R"({"Binds":["/data","named:/data:ro","/srv/ci:/x:rw,z"]})"));
  EXPECT_FALSE(create(R"({"CgroupnsMode":"host"})"));
  EXPECT_FALSE(judge("container.exec", R"({"User":"root","Cmd":["id"],"AttachStdout":true})"));
}

TEST(Bodies, TmpfsOptionsOnlySizeAndRestrict) {
  EXPECT_FALSE(create(R"({"Tmpfs":{"/run":"size=64m,noexec,nosuid","/tmp":"","/x":"mode=1777,uid=1000"}})"));
  EXPECT_FALSE(create(
      R"({"Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"Options":[["noexec"],["size","64m"]]}}]})"));
  // runc takes bind or rbind among a tmpfs's options for a bind mount of a host path.
  for (const char* tmpfs :
       {R"({"/x":"bind"})", R"({"/x":"size=1m,rbind"})", R"({"/x":"shared"})", R"({"/x":"remount"})"}) {
    auto d = create(std::string(R"({"Tmpfs":)") + tmpfs + "}");
    ASSERT_TRUE(d) << tmpfs;
    EXPECT_NE(d->find("HostConfig.Tmpfs has option"), std::string::npos) << *d;
  }
  EXPECT_TRUE(
      create(R"({"Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"Options":[["rbind"]]}}]})"));
  EXPECT_TRUE(
      create(R"({"Mounts":[{"Type":"tmpfs","Target":"/t","TmpfsOptions":{"Options":[["a","b","c"]]}}]})"));
}

TEST(Bodies, WhatStillEscapesIsRefusedByName) {
  auto reason = [](Denial d) { return d ? *d : std::string("(allowed)"); };
  EXPECT_NE(reason(create(R"({"CapAdd":["SYS_ADMIN"]})")).find("SYS_ADMIN"), std::string::npos);
  EXPECT_TRUE(create(R"({"CapAdd":"ALL"})"));
  EXPECT_TRUE(create(R"({"CapAdd":["cap_\u017fys_admin"]})")) << "Go's ToUpper folds the long s";
  EXPECT_TRUE(create(R"({"Sysctls":{"kernel.core_pattern":"|/x"}})"));
  EXPECT_TRUE(create(R"({"Sysctls":{"net/../kernel/core_pattern":"|/x"}})"));
  EXPECT_TRUE(judge("volume.create", R"({"DriverOpts":{"type":"none","o":"bind","device":"/"}})"));
  EXPECT_TRUE(judge("volume.create", R"({"DriverOpts":{"type":"tmpfs","o":"bind","device":"/"}})"));
  EXPECT_TRUE(judge("volume.create", R"({"DriverOpts":{"type":"ext4","device":"/dev/sda1"}})"));
  EXPECT_TRUE(judge("volume.create", R"({"Driver":"someplugin"})"));
  EXPECT_TRUE(create(R"({"Binds":["/:/host"]})"));
  EXPECT_TRUE(create(R"({"Binds":["/srv/cix:/x"]})"));
  EXPECT_TRUE(create(R"({"Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]})"));
  EXPECT_TRUE(create(R"({"Mounts":[{"Type":"npipe","Source":"x","Target":"/h"}]})"));
  EXPECT_FALSE(create(
      R"({"Mounts":[{"Type":"bind","Source":"/srv/ci/","Target":"/h"},{"Type":"tmpfs","Target":"/t"}]})"));
  EXPECT_TRUE(create(R"({"Mounts":[{"Type":"bind","Source":"/srv/ci/a","Target":"/h"}]})"));  // bound whole
  for (const char* mode : {"host", "HOST", "container:x", "0123abcd"}) {
    EXPECT_TRUE(create(std::string(R"({"NetworkMode":")") + mode + "\"}")) << mode;
  }
  EXPECT_FALSE(create(R"({"NetworkMode":"mynet"})"));
  EXPECT_TRUE(judge("container.create", R"({"NetworkingConfig":{"EndpointsConfig":{"host":{}}}})"));
  // The engine finds a user-defined network by the endpoint's NetworkID before its name (getNetworkID).
  EXPECT_TRUE(judge("container.create",
                    R"({"NetworkingConfig":{"EndpointsConfig":{"mynet":{"NetworkID":"4f1c9e2a"}}}})"));
  EXPECT_FALSE(
      judge("container.create", R"({"NetworkingConfig":{"EndpointsConfig":{"mynet":{"NetworkID":""}}}})"));
  EXPECT_TRUE(create(R"({"PidMode":"container:x"})"));
  EXPECT_TRUE(
      create(R"({"LogConfig":{"Type":"syslog","Config":{"syslog-address":"unix:///var/run/docker.sock"}}})"));
  EXPECT_TRUE(create(R"({"LogConfig":{"Type":"json-file","Config":{"syslog-address":"x"}}})"));
  EXPECT_TRUE(create(R"({"Annotations":{"a":"b"}})"));
  EXPECT_TRUE(judge("container.create", R"({"Image":"busybox","Privileged":true})")) << "legacy top level";
  EXPECT_TRUE(judge("container.create", R"({"Image":"busybox","Bind\u017f":["/:/h"]})"));
  EXPECT_TRUE(judge("container.create", R"({"Image":"busybox","Unknown":1})"));
  EXPECT_TRUE(judge("container.create", R"({"Image":"busybox","HostConfig":{"Memory":1.5}})"));
  EXPECT_TRUE(judge("container.update", R"({"CgroupParent":"/"})"));
  EXPECT_TRUE(judge("network.create", R"({"Name":"n","Driver":"macvlan","Options":{"parent":"eth0"}})"));
  EXPECT_TRUE(
      judge("network.create", R"({"Name":"n","Options":{"com.docker.network.bridge.name":"docker0"}})"));
  EXPECT_FALSE(judge("network.create",
                     R"({"Name":"n","Driver":"bridge","Options":{"com.docker.network.driver.mtu":"1400"}})"));
  // {} for a pointer field is not its zero value: Go allocates the struct (found by the oracle).
  EXPECT_TRUE(judge("network.create", R"({"Name":"n","ConfigFrom":{}})"));
  EXPECT_FALSE(judge("network.create", R"({"Name":"n","ConfigFrom":null})"));
}

TEST(Bodies, ServiceSpecsGetTheContainerChecks) {
  auto service = [](const std::string& container_spec, const std::string& task_extra = "") {
    return judge("service.create",
                 R"({"Name":"s","TaskTemplate":{"ContainerSpec":)" + container_spec + task_extra + "}}");
  };
  EXPECT_FALSE(service(R"({"Image":"busybox","Mounts":[{"Type":"volume","Target":"/v"}]})"));
  EXPECT_TRUE(service(R"({"Image":"busybox","Mounts":[{"Type":"bind","Source":"/","Target":"/h"}]})"));
  EXPECT_TRUE(service(R"({"Image":"busybox","CapabilityAdd":["SYS_ADMIN"]})"));
  EXPECT_TRUE(service(R"({"Image":"busybox","Privileges":{"SELinuxContext":{"Disable":true}}})"));
  EXPECT_TRUE(service(R"({"Image":"busybox","Secrets":[{"SecretName":"db"}]})"));
  EXPECT_TRUE(service(R"({"Image":"busybox"})", R"(,"Runtime":"plugin")"));
  EXPECT_TRUE(service(R"({"Image":"busybox"})", R"(,"PluginSpec":{"name":"x"})"));
  EXPECT_TRUE(service(R"({"Image":"busybox"})", R"(,"Networks":[{"Target":"host"}])"));
}

TEST(Bodies, AnUnknownKeyWithNullIsWhatGoIgnores) {
  EXPECT_FALSE(judge("container.create", R"({"Image":"busybox","NetworkingConfig":{"mynet":null}})"));
  EXPECT_TRUE(judge("container.create", R"({"Image":"busybox","NetworkingConfig":{"mynet":{}}})"));
}

TEST(Bodies, OnlyPlainJsonObjectsAreJudged) {
  EXPECT_TRUE(judge("container.create", "[1]"));
  EXPECT_TRUE(judge("container.create", R"({"Image":"busybox"} {"HostConfig":{"Privileged":true}})"));
  EXPECT_FALSE(judge("container.create", ""));  // nothing asked for: the engine refuses it
  EXPECT_TRUE(judge("plugin.pull", "[]"));      // no table: refused whatever it says
  EXPECT_FALSE(has_schema("plugin.pull"));
}

TEST(Bodies, ACompressedArchiveUploadIsRefused) {
  using namespace std::string_view_literals;
  for (auto start : {"\x1f\x8b\x08\x00\x00\x00"sv, "BZh91A"sv,
                     "\xfd"
                     "7zXZ\x00"sv,
                     "\x28\xb5\x2f\xfd\x00\x00"sv, "\x5a\x2a\x4d\x18\x00\x00"sv, "\x1f\x8b\x08"sv}) {
    auto d = judge_archive_start(start);
    ASSERT_TRUE(d) << start;
    EXPECT_NE(d->find("send a plain tar"), std::string::npos);
  }
  // A tar starts with its first member's name; a body too short for a magic number is not one to the engine.
  for (auto start : {"etc/\0\0"sv, "\x1f\x8b"sv, ""sv,
                     "\xfd"
                     "7zXZ"sv,
                     "BZ"sv}) {
    EXPECT_EQ(judge_archive_start(start), std::nullopt) << start;
  }
}

}  // namespace
}  // namespace dockgate::authz::bodies
