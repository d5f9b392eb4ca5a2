"""`make up-containers`: the production overlay (k8s/overlays/production) as containers on one
Docker host, configured from the rendered manifests themselves, not from a second description.

    python -m deploy.docker.cluster up [--port 8090]    # build the images, start, wait healthy
    python -m deploy.docker.cluster down [--volumes]    # stop and remove (--volumes: the data too)

What maps to what (the README's "Deploying" section says the same):
- a Deployment or StatefulSet -> one container per replica (at most MAX_REPLICAS, but NATS keeps
  its 3 cluster nodes), named <project>-<workload>-<i>, on one user network; every Service that
  selects it -> a network alias (Docker's DNS answers with every replica, as a headless Service),
  and a StatefulSet pod also answers as <name>-<i>.<serviceName>;
- envFrom/env (ConfigMaps, Secrets from deploy/k8s_secrets.py kept 0600 in the state folder,
  fieldRef metadata.name) -> the container's environment, $(VAR) expanded in args as Kubernetes does;
- configMap volumes -> read-only bind mounts; emptyDir -> tmpfs, or a volume made afresh with each
  pod when init and main containers share it (writable by the pod's fsGroup, as Kubernetes makes
  it); volumeClaimTemplates -> named volumes, kept by `down`;
- securityContext -> --user/--group-add, --read-only, --cap-drop ALL, no-new-privileges;
  resources.limits -> --memory/--cpus; readiness/startup probes -> Docker health checks;
  restartPolicy Always -> --restart unless-stopped (a liveness failure does not restart: Docker
  has no such action);
- initContainers and Jobs -> containers run to completion first;
- third-party images this host cannot pull -> the stand-ins of deploy/docker/images.py (Triton's
  container runs MLServer with tritonserver's own arguments; MinIO's is moto's in-memory S3);
- NetworkPolicies, PodDisruptionBudgets, HPA/KEDA and GPU requests have no Docker equivalent and
  are left out; Envoy's LoadBalancer Service -> each Envoy replica published on its own port.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pathlib
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field

import yaml

from deploy import k8s_secrets
from deploy.docker import images as image_builds

REPO = pathlib.Path(__file__).resolve().parents[2]
KUBECTL = REPO / ".venv" / "bin" / "kubectl"
PROJECT = "backdrop"
MAX_REPLICAS = 2
# Third-party images (by repository) -> the stand-in built here (images.images()).
STAND_INS = {"nats": "nats", "envoyproxy/envoy": "envoy", "postgres": "postgres", "nvcr.io/nvidia/tritonserver": "modelserver", "minio/minio": "s3"}
# Start order: each group is healthy before the next starts (Kubernetes retries instead).
ORDER = (("postgres", "nats", "minio", "triton"), ("db-roles",), ("auth", "billing", "orchestrator", "inference", "gateway"), ("envoy",))
# moto has no MinIO health endpoint: its readiness is its port.
STAND_IN_PROBES = {"s3": {"tcpSocket": {"port": 9000}, "periodSeconds": 5}}
SIZE = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


@dataclass
class Container:
    """One `docker run`: a pod's main container, or one of its init containers / a Job's."""

    name: str
    project: str
    image: str
    command: list[str] | None
    args: list[str]
    env: dict[str, str]
    user: str | None = None
    groups: list[str] = field(default_factory=list)
    hardening: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    health: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    publish: list[str] = field(default_factory=list)
    hostname: str | None = None
    run_once: bool = False

    def argv(self, network: str, env_file: pathlib.Path) -> list[str]:
        argv = ["docker", "run", "--name", self.name, "--network", network, "--env-file", str(env_file)]
        argv += ["--label", f"{PROJECT}.project={self.project}"]
        argv += ["--rm"] if self.run_once else ["--detach", "--restart", "unless-stopped"]
        argv += [f"--network-alias={a}" for a in self.aliases] + [f"--publish={p}" for p in self.publish]
        argv += ["--hostname", self.hostname] if self.hostname else []
        argv += ["--user", self.user] if self.user else []
        argv += [f"--group-add={g}" for g in self.groups] + self.hardening + self.mounts + self.limits + self.health
        argv += ["--entrypoint", self.command[0]] if self.command else []
        return argv + [self.image, *(self.command[1:] if self.command else []), *self.args]


@dataclass
class Pod:
    workload: str
    index: int
    init: list[Container]
    main: Container
    scratch: list[str]  # emptyDir volumes an init container fills: made afresh before the pod starts
    claims: list[str]  # the pod's persistent volumes (volumeClaimTemplates)
    fs_group: int | None


class Cluster:
    """The rendered overlay, turned into containers for one Docker host."""

    def __init__(self, state: pathlib.Path, port: int, overlay: str = "k8s/overlays/production", project: str = PROJECT):
        self.state_dir, self.port, self.project = state, port, project
        self.network = project
        docs = [d for d in yaml.safe_load_all(subprocess.run([str(KUBECTL), "kustomize", str(REPO / overlay)], check=True, capture_output=True, text=True).stdout) if d]
        self.docs = docs
        self.config_maps = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
        self.services = [d for d in docs if d["kind"] == "Service"]
        self.secrets = self._secrets()
        self.tags = {name: tag for name, (_, tag) in image_builds.images().items()}

    # --- inputs ---------------------------------------------------------------------------

    def _secrets(self) -> dict[str, dict[str, str]]:
        """The workloads' Secrets, made once per state folder (0600) so restarts keep the data readable."""
        path = self.state_dir / "secrets.json"
        if not path.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            path.touch(mode=0o600)
            path.write_text(json.dumps(k8s_secrets.values(None, None, {})))
        return json.loads(path.read_text())

    def _config_files(self, name: str) -> pathlib.Path:
        """A ConfigMap's files, written for a read-only bind mount (not secret: readable by the container's user)."""
        cm = self.config_maps[name]
        folder = self.state_dir / "configmaps" / name
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        for key, value in (cm.get("data") or {}).items():
            (folder / key).write_text(value)
        for key, value in (cm.get("binaryData") or {}).items():
            (folder / key).write_bytes(base64.b64decode(value))
        for file in folder.iterdir():
            file.chmod(0o644)
        return folder

    # --- translation ----------------------------------------------------------------------

    def pods(self) -> list[Pod]:
        pods = []
        for doc in self.docs:
            if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
                name = doc["metadata"]["name"]
                stateful = doc["kind"] == "StatefulSet"
                count = doc["spec"].get("replicas", 1) if doc["kind"] != "Job" else 1
                count = count if name == "nats" else min(count, MAX_REPLICAS)
                pods += [self._pod(doc, i, stateful) for i in range(count)]
        return pods

    def _pod(self, doc: dict, index: int, stateful: bool) -> Pod:
        workload = doc["metadata"]["name"]
        spec = doc["spec"]["template"]["spec"]
        pod_name = f"{workload}-{index}"
        labels = doc["spec"]["template"]["metadata"].get("labels", {})
        shared = {m["name"] for c in spec.get("initContainers", []) for m in c.get("volumeMounts", [])}
        scratch, mounts_of = [], {}
        for volume in spec.get("volumes", []):
            mounts_of[volume["name"]] = self._volume(volume, pod_name, volume["name"] in shared)
            scratch += [mounts_of[volume["name"]][1]] if mounts_of[volume["name"]][0] == "volume" else []
        for claim in doc["spec"].get("volumeClaimTemplates", []):
            mounts_of[claim["metadata"]["name"]] = ("volume", f"{self.project}-{pod_name}-{claim['metadata']['name']}", {})
        job = doc["kind"] == "Job"
        init = [self._container(c, spec, pod_name, f"{self.project}-{pod_name}-{c['name']}", mounts_of, run_once=True) for c in spec.get("initContainers", [])]
        main = self._container(spec["containers"][0], spec, pod_name, f"{self.project}-{pod_name}", mounts_of, run_once=job)
        if not job:
            main.hostname = pod_name
            main.aliases = [s["metadata"]["name"] for s in self.services if _selects(s, labels)]
            if stateful:
                main.aliases.append(f"{pod_name}.{doc['spec']['serviceName']}")
            edge = next((s for s in self.services if _selects(s, labels) and s["spec"].get("type") == "LoadBalancer"), None)
            if edge:  # each replica on a port of its own (no load balancer on one Docker host)
                target = edge["spec"]["ports"][0]["targetPort"]
                main.publish = [f"127.0.0.1:{self.port + index}:{_port_number(spec['containers'][0], target)}"]
        claims = [source for kind, source, _ in mounts_of.values() if kind == "volume" and source not in scratch]
        return Pod(workload, index, init, main, scratch, claims, spec.get("securityContext", {}).get("fsGroup"))

    def _volume(self, volume: dict, pod_name: str, shared: bool) -> tuple[str, str, dict]:
        if "configMap" in volume:
            return ("bind", str(self._config_files(volume["configMap"]["name"])), {})
        if "emptyDir" in volume:
            if shared:  # an init container fills it: a volume that outlives the init container
                return ("volume", f"{self.project}-{pod_name}-{volume['name']}", {})
            size = volume["emptyDir"].get("sizeLimit")
            return ("tmpfs", "", {"size": str(_bytes(size))} if size else {})
        raise SystemExit(f"cluster: volume {volume['name']} of {pod_name}: only configMap, emptyDir and claims map to Docker")

    def _container(self, c: dict, spec: dict, pod_name: str, name: str, mounts_of: dict, run_once: bool) -> Container:
        pod_security, security = spec.get("securityContext", {}), c.get("securityContext", {})
        env = self._env(c, pod_name)
        image, command, args = self._image(c, env)
        user = security.get("runAsUser", pod_security.get("runAsUser"))
        group = security.get("runAsGroup", pod_security.get("runAsGroup", user))
        out = Container(name, self.project, image, command, args, env, run_once=run_once)
        if user is not None:
            out.user = f"{user}:{group}"
        if pod_security.get("fsGroup") is not None:
            out.groups = [str(pod_security["fsGroup"])]
        if security.get("readOnlyRootFilesystem"):
            out.hardening.append("--read-only")
        if "ALL" in security.get("capabilities", {}).get("drop", []):
            out.hardening.append("--cap-drop=ALL")
        if security.get("allowPrivilegeEscalation") is False:
            out.hardening.append("--security-opt=no-new-privileges")
        for m in c.get("volumeMounts", []):
            kind, source, options = mounts_of[m["name"]]
            if kind == "tmpfs":
                out.mounts.append("--mount=" + ",".join([f"type=tmpfs,destination={m['mountPath']}", *(f"tmpfs-{k}={v}" for k, v in options.items()), "tmpfs-mode=1777"]))
            else:
                readonly = ",readonly" if m.get("readOnly") else ""
                out.mounts.append(f"--mount=type={kind},source={source},destination={m['mountPath']}{readonly}")
        limits = c.get("resources", {}).get("limits", {})
        if "memory" in limits:
            out.limits.append(f"--memory={_bytes(limits['memory'])}")
        if "cpu" in limits:  # Docker refuses a limit above the host's cores
            out.limits.append(f"--cpus={min(_cpus(limits['cpu']), os.cpu_count() or 1)}")
        stand_in = next((s for s, tag in self.tags.items() if tag == image and s in STAND_IN_PROBES), None)
        out.health = self._health({**c, "readinessProbe": STAND_IN_PROBES[stand_in]} if stand_in else c)
        return out

    def _env(self, c: dict, pod_name: str) -> dict[str, str]:
        env: dict[str, str] = {}
        for source in c.get("envFrom", []):
            if "configMapRef" in source:
                env.update(self.config_maps[source["configMapRef"]["name"]].get("data", {}))
            if "secretRef" in source:
                env.update(self.secrets[source["secretRef"]["name"]])
        for item in c.get("env", []):
            if "value" in item:
                env[item["name"]] = _expand(str(item["value"]), env)
            elif "fieldRef" in item.get("valueFrom", {}):
                env[item["name"]] = {"metadata.name": pod_name}[item["valueFrom"]["fieldRef"]["fieldPath"]]
            elif "secretKeyRef" in item.get("valueFrom", {}):
                ref = item["valueFrom"]["secretKeyRef"]
                env[item["name"]] = self.secrets[ref["name"]][ref["key"]]
        if "PUBLIC_BASE_URL" in env:  # the links the services sign point at the published port
            env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{self.port}"
        return env

    def _image(self, c: dict, env: dict[str, str]) -> tuple[str, list[str] | None, list[str]]:
        repository, _, _ = c["image"].rpartition(":") if ":" in c["image"].split("/")[-1] else (c["image"], "", "")
        args = [_expand(a, env) for a in c.get("args", [])]
        command = [_expand(a, env) for a in c["command"]] if c.get("command") else None
        if repository.startswith("backdrop/"):
            return self.tags[repository.removeprefix("backdrop/")], command, args
        stand_in = STAND_INS.get(repository)
        if stand_in is None:
            raise SystemExit(f"cluster: no stand-in for image {c['image']}")
        # moto takes no MinIO arguments; the others take the official image's.
        return self.tags[stand_in], None, [] if stand_in == "s3" else args

    def _health(self, c: dict) -> list[str]:
        probe = c.get("readinessProbe")
        if not probe:
            return []
        check = _probe_command(c, probe)
        startup = c.get("startupProbe") or {}
        start = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3) if startup else 0
        return [
            "--health-cmd=" + check,
            f"--health-interval={probe.get('periodSeconds', 10)}s",
            f"--health-retries={probe.get('failureThreshold', 3)}",
            f"--health-timeout={probe.get('timeoutSeconds', 5)}s",
            f"--health-start-period={start}s",
        ]

    # --- running --------------------------------------------------------------------------

    def up(self, timeout: float = 600.0) -> None:
        problem = image_builds.engine_problem()
        if problem:
            raise SystemExit(f"cluster: {problem}")
        if subprocess.run(["docker", "network", "inspect", self.network], capture_output=True).returncode != 0:
            subprocess.run(["docker", "network", "create", self.network], check=True, capture_output=True)
        pods = self.pods()
        for group in ORDER:
            members = [p for p in pods if p.workload in group]
            for pod in members:
                self.start(pod)
            self.wait_healthy([p.main.name for p in members if not p.main.run_once], timeout)

    def start(self, pod: Pod) -> None:
        """Starts one pod: its fresh emptyDir volumes, its init containers in order, then its container."""
        if state(pod.main.name) is not None:
            subprocess.run(["docker", "rm", "--force", pod.main.name], capture_output=True)
        for name in pod.scratch:
            subprocess.run(["docker", "volume", "rm", "--force", name], capture_output=True)
            # Kubernetes makes an emptyDir writable by the pod's fsGroup; a new volume is root's.
            owner = f"0:{pod.fs_group}" if pod.fs_group is not None else "0:0"
            subprocess.run(["docker", "run", "--rm", "--user", "0", "--entrypoint", "sh", "--mount", f"type=volume,source={name},destination=/v",
                            pod.init[0].image, "-c", f"chown {owner} /v && chmod 2775 /v"], check=True, capture_output=True)
        for container in [*pod.init, pod.main]:
            self._run(container, attempts=20 if container.run_once else 1)

    def _run(self, container: Container, attempts: int) -> None:
        env_file = self.state_dir / "env" / f"{container.name}.env"
        env_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        env_file.touch(mode=0o600)
        env_file.write_text("".join(f"{k}={v}\n" for k, v in container.env.items()))
        for attempt in range(attempts):  # a Job's backoffLimit: the database may still be starting
            result = subprocess.run(container.argv(self.network, env_file), capture_output=True, text=True)
            if result.returncode == 0:
                return
            time.sleep(min(2**attempt, 5))
        raise SystemExit(f"cluster: {container.name} failed: {result.stderr[-2000:] or result.stdout[-2000:]}")

    def wait_healthy(self, names: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = list(names)
        while waiting:
            waiting = [n for n in waiting if state(n) != "healthy"]
            dead = [n for n in waiting if state(n) in ("exited", "dead", None)]
            if dead or time.monotonic() > deadline:
                logs = {n: subprocess.run(["docker", "logs", "--tail", "20", n], capture_output=True, text=True) for n in (dead or waiting)}
                detail = "\n".join(f"--- {n}\n{r.stdout[-1500:]}{r.stderr[-1500:]}" for n, r in logs.items())
                raise SystemExit(f"cluster: not healthy: {', '.join(dead or waiting)}\n{detail}")
            time.sleep(1)

    def down(self, volumes: bool = False) -> None:
        names = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={PROJECT}.project={self.project}"], capture_output=True, text=True).stdout.split()
        if names:
            subprocess.run(["docker", "rm", "--force", *names], capture_output=True)
        subprocess.run(["docker", "network", "rm", self.network], capture_output=True)
        pods = self.pods()
        doomed = [name for pod in pods for name in pod.scratch] + ([name for pod in pods for name in pod.claims] if volumes else [])
        if doomed:
            subprocess.run(["docker", "volume", "rm", "--force", *doomed], capture_output=True)


def state(name: str) -> str | None:
    """"healthy", "unhealthy", "starting", "running" (no health check), "exited"..., or None."""
    result = subprocess.run(["docker", "inspect", "-f", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", name], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    status, _, health = result.stdout.strip().partition(" ")
    return health if status == "running" and health else status if status != "running" else "healthy"


def _selects(service: dict, labels: dict) -> bool:
    selector = service["spec"].get("selector") or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _port_number(container: dict, port) -> int:
    if isinstance(port, int):
        return port
    return next(p["containerPort"] for p in container.get("ports", []) if p.get("name") == port)


def _probe_command(c: dict, probe: dict) -> str:
    """A readiness probe as a command run inside the container (each image has Python)."""
    if "exec" in probe:
        return shlex.join(probe["exec"]["command"])
    if "grpc" in probe:
        service = probe["grpc"].get("service", "")
        code = ("import grpc,sys; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g; "
                f"r=g.HealthStub(grpc.insecure_channel('127.0.0.1:{probe['grpc']['port']}')).Check(h.HealthCheckRequest(service={service!r}), timeout=4); "
                "sys.exit(r.status != h.HealthCheckResponse.SERVING)")
        return shlex.join(["python", "-c", code])
    if "httpGet" in probe:
        port = _port_number(c, probe["httpGet"]["port"])
        url = f"http://127.0.0.1:{port}{probe['httpGet'].get('path', '/')}"
        return shlex.join(["python3", "-c", f"import urllib.request; urllib.request.urlopen({url!r}, timeout=4)"])
    if "tcpSocket" in probe:
        port = _port_number(c, probe["tcpSocket"]["port"])
        return shlex.join(["python3", "-c", f"import socket; socket.create_connection(('127.0.0.1', {port}), 4)"])
    raise SystemExit(f"cluster: unknown probe {probe}")


def _expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) expansion (unknown names stay as written)."""
    return re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), value)


def _bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Ki|Mi|Gi)?", str(quantity)).groups()
    return int(number) * SIZE.get(unit or "", 1)


def _cpus(quantity) -> float:
    text = str(quantity)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("BACKDROP_CONTAINERS_PORT", "8090")), help="the first Envoy's published port; the second gets the next")
    parser.add_argument("--volumes", action="store_true", help="down: remove the data volumes too")
    args = parser.parse_args()
    cluster = Cluster(REPO / ".data" / "containers", args.port)
    if args.action == "down":
        cluster.down(args.volumes)
        return
    image_builds.build_all(models_skip=os.environ.get("MODELS_SKIP", ""))
    started = time.monotonic()
    cluster.up()
    ports = ", ".join(f"http://127.0.0.1:{args.port + i}" for i in range(MAX_REPLICAS))
    print(f"backdrop: containers ready on {ports} (started in {time.monotonic() - started:.0f} s; "
          "`python -m deploy.docker.cluster down` stops them)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
