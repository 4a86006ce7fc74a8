// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Container and pod names from the runtimes' files, under a host root made
 * here (the layouts Docker, Podman and the kubelet write); the service string
 * and the --container filter that use them.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include "check.h"
#include "identity/identity_filter.h"
#include "identity/runtime_names.h"

#define DOCKER_ID "5e00000000000000000000000000000000000000000000000000000000000001"
#define PODMAN_ID "9900000000000000000000000000000000000000000000000000000000000002"
#define K8S_ID "c100000000000000000000000000000000000000000000000000000000000003"
#define POD_UID "4f1d2c3b-aaaa-4bbb-8ccc-0123456789ab"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[256], cmd[400];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s%s')\"", root, rel);
	if (system(cmd))
		return;
	snprintf(path, sizeof(path), "%s%s", root, rel);
	if ((f = fopen(path, "w"))) {
		fputs(text, f);
		fclose(f);
	}
}

static struct tf_identity parsed(const char *path)
{
	struct tf_identity id;

	tf_identity_parse(path, &id);
	return id;
}

static void names(void)
{
	struct tf_identity id;

	snprintf(root, sizeof(root), "/tmp/tcpfate-names.XXXXXX");
	CHECK(mkdtemp(root) != NULL, "a host root to read from");
	tf_runtime_names_root(root);

	/* Nothing there yet: not found, and false says to look again later. */
	id = parsed("/system.slice/docker-" DOCKER_ID ".scope");
	CHECK(!tf_runtime_names_lookup(&id) && !id.container_name[0], "docker: no state, no name (looked up again later)");

	put("/var/lib/docker/containers/" DOCKER_ID "/config.v2.json", "{\"ID\":\"" DOCKER_ID "\",\"Name\":\"/web\"}");
	CHECK(tf_runtime_names_lookup(&id), "docker: found");
	CHECK_STR(id.container_name, "web", "docker: the name, without Docker's leading /");

	put("/var/lib/containers/storage/overlay-containers/containers.json",
	    "[{\"id\":\"aa\",\"names\":[\"other\"]},{\"id\":\"" PODMAN_ID "\",\"names\":[\"db\",\"alias\"]}]");
	id = parsed("/machine.slice/libpod-" PODMAN_ID ".scope");
	CHECK(tf_runtime_names_lookup(&id), "podman: found");
	CHECK_STR(id.container_name, "db", "podman: its first name");

	/* Kubernetes: the kubelet's log links and pod directories. */
	put("/var/log/containers/api-7d9f_shop_app-" K8S_ID ".log", "");
	put("/var/log/containers/api-7d9f_shop_sidecar-" "c200000000000000000000000000000000000000000000000000000000000004" ".log", "");
	put("/var/log/pods/shop_api-7d9f_" POD_UID "/app/0.log", "");
	id = parsed("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod4f1d2c3b_aaaa_4bbb_8ccc_0123456789ab.slice/"
		    "cri-containerd-" K8S_ID ".scope");
	CHECK(tf_runtime_names_lookup(&id), "kubernetes: found");
	CHECK_STR(id.container_name, "app", "kubernetes: the container's name");
	CHECK_STR(id.pod_name, "api-7d9f", "kubernetes: the pod's name");
	CHECK_STR(id.pod_namespace, "shop", "kubernetes: the pod's namespace");
	id = parsed("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod4f1d2c3b_aaaa_4bbb_8ccc_0123456789ab.slice");
	CHECK(tf_runtime_names_lookup(&id) && !strcmp(id.pod_name, "api-7d9f") && !strcmp(id.pod_namespace, "shop"),
	      "kubernetes: the pod's own cgroup, from /var/log/pods");

	/* Never a wrong name: another id, a unit. */
	id = parsed("/system.slice/docker-" K8S_ID ".scope");
	CHECK(!tf_runtime_names_lookup(&id) && !id.container_name[0], "docker: another id has no name");
	id = parsed("/system.slice/nginx.service");
	CHECK(tf_runtime_names_lookup(&id) && !id.container_name[0] && !id.pod_name[0], "a unit: no name applies");

	/* The service string and the filter. */
	char who[200];
	struct tf_identity_names n = { .container_id = K8S_ID, .runtime = "containerd", .container_name = "app",
				       .pod_uid = POD_UID, .pod_name = "api-7d9f", .pod_namespace = "shop" };
	tf_identity_service(&n, who, sizeof(who));
	CHECK_STR(who, "containerd app (c10000000000) (pod shop/api-7d9f)", "service: names first, short id");
	n.container_name = NULL;
	n.pod_name = NULL;
	tf_identity_service(&n, who, sizeof(who));
	CHECK_STR(who, "containerd c10000000000 (pod " POD_UID ")", "service: ids when names are unknown");

	struct tf_identity_filter f = { 0 };
	char err[160];
	CHECK(!tf_option_container("web", &f, err, sizeof(err)), "--container web: a name");
	CHECK(tf_identity_filter_match(&f, DOCKER_ID, "web", NULL, NULL), "--container web matches the container named web");
	CHECK(!tf_identity_filter_match(&f, DOCKER_ID, "web2", NULL, NULL), "--container web: not web2");
	CHECK(!tf_option_container("5e00", &f, err, sizeof(err)) && tf_identity_filter_match(&f, DOCKER_ID, "x", NULL, NULL),
	      "--container 5e00: an id prefix still");
	CHECK(tf_option_container("we b", &f, err, sizeof(err)) == -1, "--container 'we b': refused: %s", err);
	CHECK(tf_option_container("-x", &f, err, sizeof(err)) == -1, "--container '-x': refused");

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK(!system(cmd), "host root removed");
}

int main(void)
{
	names();
	return CHECK_DONE();
}
