// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What cgroup v2 paths name: the layouts runtimes and systemd make, and near misses. */
#include "check.h"
#include "identity/cgroup_path.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "2d3b9c1e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
#define UID_ "2d3b9c1e_4f5a_4b6c_8d7e_9f0a1b2c3d4e"

static void expect(const char *path, const char *runtime, const char *container, const char *pod, const char *qos,
		   const char *unit)
{
	struct tf_identity id;

	tf_identity_parse(path, &id);
	CHECK_STR(id.runtime, runtime, "%s: runtime", path);
	CHECK_STR(id.container_id, container, "%s: container id", path);
	CHECK_STR(id.pod_uid, pod, "%s: pod uid", path);
	CHECK_STR(id.pod_qos, qos, "%s: pod qos", path);
	CHECK_STR(id.unit, unit, "%s: unit", path);
}

int main(void)
{
	/* systemd units */
	expect("/system.slice/nginx.service", NULL, "", "", NULL, "nginx.service");
	expect("/user.slice/user-1000.slice/session-3.scope", NULL, "", "", NULL, "session-3.scope");
	expect("/system.slice/postgresql@15-main.service/worker", NULL, "", "", NULL, "postgresql@15-main.service");
	expect("/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo.scope", NULL, "", "", NULL,
	       "app-foo.scope");
	expect("/", NULL, "", "", NULL, "");
	expect("/init.scope", NULL, "", "", NULL, "init.scope");

	/* containers under systemd */
	expect("/system.slice/docker-" ID64 ".scope", "docker", ID64, "", NULL, "");
	expect("/machine.slice/libpod-" ID64 ".scope/container", "podman", ID64, "", NULL, "");
	expect("/system.slice/crio-" ID64 ".scope", "cri-o", ID64, "", NULL, "");
	/* containers, cgroupfs drivers */
	expect("/docker/" ID64, "docker", ID64, "", NULL, "");
	expect("/libpod_parent/libpod-" ID64, "podman", ID64, "", NULL, "");

	/* Kubernetes, systemd driver: each QoS class */
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID64
	       ".scope",
	       "containerd", ID64, UID, "burstable", "");
	expect("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/crio-" ID64 ".scope",
	       "cri-o", ID64, UID, "besteffort", "");
	expect("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID64 ".scope", "containerd", ID64, UID,
	       "guaranteed", "");
	/* the pod's own cgroup (its sandbox, before a container's) */
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice", NULL, "", UID,
	       "burstable", "");
	/* Kubernetes, cgroupfs driver: the runtime is not in the path */
	expect("/kubepods/burstable/pod" UID "/" ID64, NULL, ID64, UID, "burstable", "");
	expect("/kubepods/pod" UID "/" ID64, NULL, ID64, UID, "guaranteed", "");

	/* near misses: never a wrong id */
	expect("/system.slice/docker-0123.scope", NULL, "", "", NULL, "docker-0123.scope");
	expect("/system.slice/docker-" ID64 "0.scope", NULL, "", "", NULL, "docker-" ID64 "0.scope");
	expect("/system.slice/crio-conmon-" ID64 ".scope", NULL, "", "", NULL, "crio-conmon-" ID64 ".scope");
	expect("/system.slice/docker-" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef" ".scope",
	       NULL, "", "", NULL, "docker-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.scope");
	expect("/somewhere/" ID64, NULL, "", "", NULL, "");
	expect("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podnot-a-uid.slice", NULL, "", "",
	       "burstable", "");
	expect("/notkubepods/pod" UID, NULL, "", "", NULL, "");
	expect("/docker.service/" ID64, NULL, "", "", NULL, "docker.service");
	return check_failures ? 1 : 0;
}
