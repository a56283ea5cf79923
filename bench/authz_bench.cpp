// The cost of one authorization decision on a realistic container-create body (about 10 KB: the docker
// CLI's full HostConfig plus environment and labels), for a sandboxed role, as Google Benchmark measures
// it. Issue 7's target: under 5 µs.
#include <benchmark/benchmark.h>

#include <string>

#include "authz/endpoints.hpp"
#include "authz/policy.hpp"
#include "tls/identity.hpp"

namespace {

std::string container_create_body() {
  std::string env, labels;
  for (int i = 0; i < 110; ++i) {
    env += (i ? "," : "") + std::string("\"VAR_") + std::to_string(i) + "=value-of-some-length-" +
           std::to_string(i) + "\"";
    labels += (i ? "," : "") + std::string("\"com.example.label.") + std::to_string(i) +
              "\":\"some label value " + std::to_string(i) + "\"";
  }
  return R"({"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,)"
         R"("Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":[)" +
         env +
         R"(],"Cmd":["sh","-c","echo hello"],"Image":"busybox","Volumes":{},"WorkingDir":"","Entrypoint":null,)"
         R"("OnBuild":null,"Labels":{)" +
         labels +
         R"(},"HostConfig":{"Binds":["/srv/ci/cache:/cache:ro"],"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},)"
         R"("NetworkMode":"default","PortBindings":{},"RestartPolicy":{"Name":"no","MaximumRetryCount":0},)"
         R"("AutoRemove":true,"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],"CapAdd":null,"CapDrop":null,)"
         R"("CgroupnsMode":"","Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,"IpcMode":"",)"
         R"("Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"","Privileged":false,"PublishAllPorts":false,)"
         R"("ReadonlyRootfs":false,"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,"Isolation":"",)"
         R"("CpuShares":0,"Memory":0,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],)"
         R"("BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],)"
         R"("CpuPeriod":0,"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"","CpusetMems":"",)"
         R"("Devices":[],"DeviceCgroupRules":null,"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,)"
         R"("MemorySwappiness":-1,"OomKillDisable":false,"PidsLimit":0,"Ulimits":[],"CpuCount":0,"CpuPercent":0,)"
         R"("IOMaximumIOps":0,"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},)"
         R"("NetworkingConfig":{"EndpointsConfig":{}},"Platform":null})";
}

void BM_DecideContainerCreate(benchmark::State& state) {
  auto policy = dockgate::authz::Policy::parse(
      R"({"roles": {"ci": {"extends": "operator", "bind_prefixes": ["/srv/ci/cache"]}},
          "bindings": [{"identities": ["ci-*"], "role": "ci"}]})",
      "bench.json");
  dockgate::tls::Identity id;
  id.common_name = "ci-runner-7";
  id.peer = "127.0.0.1:40000";
  const std::optional<std::string> body = container_create_body();
  const std::string target = "/v1.41/containers/create?name=job-42";
  for (auto _ : state) {
    dockgate::authz::Route route = dockgate::authz::route("POST", target);
    auto decision = policy->decide(id, "POST", route, body);
    benchmark::DoNotOptimize(decision);
  }
  state.counters["body_bytes"] = static_cast<double>(body->size());
  auto check = policy->decide(id, "POST", dockgate::authz::route("POST", target), body);
  if (!check.allowed) state.SkipWithError(("the body was denied: " + check.rule).c_str());
}
BENCHMARK(BM_DecideContainerCreate);

}  // namespace

BENCHMARK_MAIN();
