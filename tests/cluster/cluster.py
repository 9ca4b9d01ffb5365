#!/usr/bin/env python3
"""The local test cluster: a real control plane with KWOK nodes, built from the Go module proxy.

    python tests/cluster/cluster.py up             # build (once), start, restart or reuse it
    python tests/cluster/cluster.py up --recreate  # delete it and start a new, empty one
    python tests/cluster/cluster.py down           # stop and delete it
    python tests/cluster/cluster.py status         # exit 0 when it answers
    python tests/cluster/cluster.py build          # only build the binaries

etcd, kube-apiserver, kube-controller-manager (the real Job and CronJob controllers) and
kube-scheduler run as local processes under kwokctl's binary runtime; kwok fakes the nodes
and the pods' lives (tests/cluster/kwok.yaml). Nothing here touches ~/.kube/config.

`up` keeps the cluster's data: when some of its processes have died (a crash, a kill, a
reboot, `kwokctl stop cluster`), it starts only those again, with the command lines kwokctl
recorded (same etcd data directory, certificates and ports), as a control plane's supervisor
does: every namespace and object stays, and clients keep their kubeconfig. Only
`up --recreate` (or `down`) throws the data away. KBT_CLUSTER_NAME picks another cluster
(default kubectl-batch-test); kwokctl gives it ports no other cluster has.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = os.environ.get("KBT_CLUSTER_NAME", "kubectl-batch-test")
CACHE = Path(os.environ.get("KBT_CACHE", Path.home() / ".cache" / "kubectl-batch-test-cluster"))
KUBECONFIG = CACHE / f"{NAME}.kubeconfig"
# The timezone of kube-controller-manager decides CronJobs without spec.timeZone: pin UTC.
CONTROL_PLANE_TZ = "UTC"


def versions() -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in (HERE / "versions.env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    return {k.strip(): v.strip() for k, v in pairs}


def log(message: str) -> None:
    print(f"test-cluster: {message}", file=sys.stderr, flush=True)


def build() -> dict[str, Path]:
    """Build every binary (skipped when cached) and return their paths."""
    env = dict(os.environ, KBT_CACHE=str(CACHE))
    CACHE.mkdir(parents=True, exist_ok=True)
    # One build at a time, whatever the cluster: two builds share CACHE's scratch directory.
    with open(CACHE / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(
            ["bash", str(HERE / "build.sh")], check=True, env=env, stdout=subprocess.DEVNULL
        )
    v = versions()
    kube = CACHE / f"kubernetes-{v['KUBE_VERSION']}"
    kwok = CACHE / f"kwok-{v['KWOK_VERSION']}"
    return {
        "etcd": CACHE / f"etcd-{v['ETCD_VERSION']}" / "etcd",
        "kube-apiserver": kube / "kube-apiserver",
        "kube-controller-manager": kube / "kube-controller-manager",
        "kube-scheduler": kube / "kube-scheduler",
        "kwok": kwok / "kwok",
        "kwokctl": kwok / "kwokctl",
    }


def kubectl(*args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["kubectl", "--kubeconfig", str(KUBECONFIG), *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


def answers() -> bool:
    """True when the API server of the cluster answers and has a Ready node."""
    if not KUBECONFIG.exists() or not all_components_alive():
        return False
    try:
        out = kubectl("get", "nodes", "-o", "json", "--request-timeout=5s", check=False, timeout=10)
    except subprocess.TimeoutExpired:
        return False
    if out.returncode != 0:
        return False
    nodes = json.loads(out.stdout).get("items", [])
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for n in nodes
        for c in n.get("status", {}).get("conditions", [])
    )


def kwokctl(binaries: dict[str, Path], *args: str, check: bool = True, timeout: float = 600):
    env = dict(
        os.environ,
        KWOK_KUBE_VERSION=versions()["KUBE_VERSION"],
        TZ=CONTROL_PLANE_TZ,
    )
    return subprocess.run(
        [str(binaries["kwokctl"]), "--name", NAME, *args],
        check=check,
        env=env,
        timeout=timeout,
        capture_output=True,
        text=True,
    )


def _lock_file() -> Path:
    return CACHE / f"{NAME}.lock"


@contextmanager
def _locked():
    """One `up` or `down` of this cluster at a time (two test sessions starting together)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(_lock_file(), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def up(recreate: bool = False) -> Path:
    """Start the cluster, restart its dead components (keeping its data), or reuse it when it
    answers; ``recreate`` deletes it first. Returns its kubeconfig."""
    binaries = build()
    with _locked():
        if recreate:
            log(f"deleting cluster {NAME} to re-create it")
        elif _created() and _recorded_fingerprint() != fingerprint():
            # Its KWOK stages or versions are not this checkout's: tests would meet the
            # pod fates of another revision. Its data is throwaway test data.
            log(f"cluster {NAME} was made from another kwok.yaml or versions.env: re-creating it")
        elif answers():
            log(f"reusing running cluster {NAME}")
            return KUBECONFIG
        elif _created():
            restart(binaries)
            return KUBECONFIG
        return _create(binaries)


def _create(binaries: dict[str, Path]) -> Path:
    # Leftovers of a cluster that never finished starting hold no data worth keeping.
    kwokctl(binaries, "delete", "cluster", check=False, timeout=120)
    KUBECONFIG.unlink(missing_ok=True)
    log(f"starting cluster {NAME}")
    created = kwokctl(
        binaries,
        "create",
        "cluster",
        "--runtime=binary",
        f"--config={HERE / 'kwok.yaml'}",
        f"--kubeconfig={KUBECONFIG}",
        f"--etcd-binary={binaries['etcd']}",
        f"--kube-apiserver-binary={binaries['kube-apiserver']}",
        f"--kube-controller-manager-binary={binaries['kube-controller-manager']}",
        f"--kube-scheduler-binary={binaries['kube-scheduler']}",
        f"--kwok-controller-binary={binaries['kwok']}",
        "--enable-crds=Logs,ClusterLogs",
        "--disable-qps-limits",
        "--wait=3m",
        check=False,
    )
    if created.returncode != 0:
        kwokctl(binaries, "delete", "cluster", check=False, timeout=120)
        KUBECONFIG.unlink(missing_ok=True)
        raise SystemExit(f"test-cluster: kwokctl create cluster failed:\n{created.stderr}")
    _fingerprint_file().write_text(fingerprint())
    kwokctl(binaries, "scale", "node", "--replicas=1")
    deadline = time.monotonic() + 120
    while not answers():
        if time.monotonic() > deadline:
            raise SystemExit("test-cluster: the node did not become Ready within 2 minutes")
        time.sleep(1)
    # Pods need the namespace's default ServiceAccount, made by the controller manager.
    while kubectl("get", "serviceaccount", "default", "-n", "default", check=False).returncode:
        if time.monotonic() > deadline:
            raise SystemExit("test-cluster: no default ServiceAccount within 2 minutes")
        time.sleep(1)
    return KUBECONFIG


def fingerprint() -> str:
    """What a cluster is made from that `kwokctl start` cannot change later: the KWOK stages
    and the component versions."""
    digest = hashlib.sha256()
    for name in ("kwok.yaml", "versions.env"):
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()


def _fingerprint_file() -> Path:
    return CACHE / f"{NAME}.fingerprint"


def _recorded_fingerprint() -> str:
    try:
        return _fingerprint_file().read_text().strip()
    except OSError:
        return ""


def _created() -> bool:
    """kwokctl made this cluster: its recorded configuration and its CA are there."""
    return (_workdir() / "kwok.yaml").exists() and (_workdir() / "pki" / "ca.crt").exists()


# Components that hold a leader lease: one that renewed it is connected and working.
LEASE_HOLDERS = ("kube-controller-manager", "kube-scheduler")


def restart(binaries: dict[str, Path], timeout: float = 120) -> list[str]:
    """Start again the components of the cluster that are not running, the others untouched,
    and wait until it answers and its controllers hold their leases. Returns what it started.

    `kwokctl start cluster` starts, in dependency order, each component whose pid file does
    not name a live process, with the command line, working directory, etcd data directory,
    certificates and ports recorded at creation. A controller manager or scheduler that
    cannot renew its lease while the API server is away exits some seconds later: whatever
    dies during the wait is started again too."""
    since = datetime.now(timezone.utc)
    if not KUBECONFIG.exists():
        shutil.copyfile(_workdir() / "kubeconfig.yaml", KUBECONFIG)
    started: list[str] = []
    deadline = time.monotonic() + timeout
    next_start = 0.0
    freed_node_leases = False
    while True:
        dead = dead_components()
        if dead and time.monotonic() >= next_start:
            next_start = time.monotonic() + 2  # a component that keeps crashing: not in a spin
            dead = [c for c in dead if not _adopt(c)]
            if dead:
                log(f"restarting {', '.join(dead)} of cluster {NAME} (its data is kept)")
                for component in dead:
                    # kwokctl checks a pid with kill(pid, 0), which a zombie or a reused pid
                    # passes: forget pids that name no live component.
                    (_workdir() / "pids" / f"{component}.pid").unlink(missing_ok=True)
                kwokctl(binaries, "start", "cluster", "--timeout=60s", check=False, timeout=90)
                started += [c for c in dead if c not in started]
        if not dead_components() and answers() and _leases_renewed_since(since):
            if "kwok-controller" not in started or _node_leases_renewed_since(since):
                log(f"cluster {NAME} is back with its data")
                return started
            if not freed_node_leases:
                _free_node_leases()
                freed_node_leases = True
        if time.monotonic() > deadline:
            stopped = ", ".join(dead_components()) or "none"
            raise SystemExit(
                f"test-cluster: cluster {NAME} did not come back within {timeout:.0f} s "
                f"(not running: {stopped}; logs in {_workdir() / 'logs'}). "
                "`up --recreate` deletes it and starts a new, empty one."
            )
        time.sleep(0.5)


def _leases_renewed_since(since: datetime) -> bool:
    renewed = _lease_renewals("kube-system")
    return renewed is not None and all(
        (when := renewed.get(name)) is not None and when >= since for name in LEASE_HOLDERS
    )


def _node_leases_renewed_since(since: datetime) -> bool:
    """The nodes' leases are held by the kwok controller running now: it plays their pods."""
    renewed = _lease_renewals("kube-node-lease")
    return bool(renewed) and all(when >= since for when in renewed.values())


def _lease_renewals(namespace: str) -> dict[str, datetime] | None:
    try:
        out = kubectl("get", "leases", "-n", namespace, "-o", "json", check=False, timeout=10)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        return None
    return {
        lease["metadata"]["name"]: datetime.fromisoformat(renew.replace("Z", "+00:00"))
        for lease in json.loads(out.stdout).get("items", [])
        if (renew := lease.get("spec", {}).get("renewTime"))
    }


def _free_node_leases() -> None:
    """A restarted kwok controller comes with a new identity, finds its nodes' leases held
    by its dead predecessor (for 200 s), fails to create them and never retries: its nodes'
    pods then stay Pending. Delete the stale leases and start it once more, so that it
    creates them (the caller's loop starts it again)."""
    log("the nodes' leases are held by the previous kwok controller: handing them over")
    kubectl("delete", "leases", "--all", "-n", "kube-node-lease", check=False)
    proc = _process("kwok-controller")
    if proc is not None:
        os.kill(int(proc.name), 15)
        while _runs(proc, "kwok-controller"):
            time.sleep(0.05)


COMPONENTS = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok-controller",
)


def _workdir() -> Path:
    return Path.home() / ".kwok" / "clusters" / NAME


def _process(component: str) -> Path | None:
    """/proc/PID of the running process of ``component``, from kwokctl's pid file; None when
    it is not running (no pid, exited, a zombie, or the pid now names another program)."""
    pid_file = _workdir() / "pids" / f"{component}.pid"
    try:
        proc = Path(f"/proc/{int(pid_file.read_text().strip())}")
    except (OSError, ValueError):
        return None
    return proc if _runs(proc, component) else None


def _runs(proc: Path, component: str) -> bool:
    """``proc`` is a live (not zombie) process of this cluster's ``component``."""
    try:
        stat = proc.joinpath("stat").read_text()
        argv0 = proc.joinpath("cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return False
    alive = stat.rpartition(")")[2].split()[0] not in ("Z", "X")
    return alive and os.fsdecode(argv0) == str(_workdir() / "bin" / component)


def _adopt(component: str) -> bool:
    """Find a running ``component`` of this cluster that its pid file does not name (the
    file was overwritten by a start that failed, say, on the port it holds) and record it."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and _runs(proc, component):
            (_workdir() / "pids" / f"{component}.pid").write_text(proc.name)
            return True
    return False


def dead_components() -> list[str]:
    return [c for c in COMPONENTS if _process(c) is None]


def all_components_alive() -> bool:
    return not dead_components()


def _launch_record(proc: Path) -> dict:
    environ = proc.joinpath("environ").read_bytes().split(b"\0")
    return {
        "argv": proc.joinpath("cmdline").read_bytes().rstrip(b"\0").split(b"\0"),
        "env": dict(item.split(b"=", 1) for item in environ if b"=" in item),
        "cwd": os.readlink(proc / "cwd"),
    }


def _launch(component: str, record: dict) -> None:
    log_file = open(_workdir() / "logs" / f"{component}.log", "ab")  # noqa: SIM115 - child keeps it
    child = subprocess.Popen(
        record["argv"],
        cwd=record["cwd"],
        env=record["env"],
        stdout=log_file,
        stderr=log_file,
        start_new_session=True,
    )
    (_workdir() / "pids" / f"{component}.pid").write_text(str(child.pid))


def restart_component(component: str = "kube-apiserver", down_for: float = 0.0) -> None:
    """Crash one control-plane process (SIGKILL) and start it again with its exact command
    line; like a supervisor, also bring back any other component that died meanwhile (the
    controller manager exits when it cannot renew its leader lease). Holds the cluster's
    lock meanwhile, so that an `up` elsewhere does not restart the component itself."""
    with _locked():
        records = {c: _launch_record(p) for c in COMPONENTS if (p := _process(c))}
        proc = _process(component)
        os.kill(int(proc.name), 9)
        while _runs(proc, component):
            time.sleep(0.05)
        time.sleep(down_for)
        _launch(component, records[component])
        deadline = time.monotonic() + 60
        while kubectl("get", "--raw", "/readyz", check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{component} did not come back within 60 s")
            time.sleep(0.2)
        time.sleep(1)
        for other, record in records.items():
            if other != component and _process(other) is None:
                _launch(other, record)


def down() -> None:
    binaries = build()
    with _locked():
        kwokctl(binaries, "delete", "cluster", check=False, timeout=120)
        KUBECONFIG.unlink(missing_ok=True)
        _fingerprint_file().unlink(missing_ok=True)
        _lock_file().unlink(missing_ok=True)
    log(f"deleted cluster {NAME}")


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "up"
    if command == "build":
        for name, path in build().items():
            print(f"{name}\t{path}")
    elif command == "up" and set(argv[2:]) <= {"--recreate"}:
        path = up(recreate="--recreate" in argv[2:])
        version = kubectl("version", "-o", "json", check=False).stdout
        server = json.loads(version or "{}").get("serverVersion", {}).get("gitVersion", "?")
        print(f"Cluster {NAME} (Kubernetes {server}) is up. Use it with:")
        print(f"  export KUBECONFIG={path}")
        print("  kubectl batch")
    elif command == "down":
        down()
    elif command == "status":
        return 0 if answers() else 1
    elif command == "kubeconfig":
        print(KUBECONFIG)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
