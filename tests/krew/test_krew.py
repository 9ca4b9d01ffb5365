"""Install with krew, for real: the archive krew/build.py makes is installed by krew itself
(built from the Go module proxy at the version pinned in tests/krew/go/go.mod) into a
temporary KREW_ROOT, then run through kubectl. The manifest is checked the way the krew
index's CI checks one, with krew's own validate-krew-manifest, and installed from a local
plugin index as users will from the krew index. No cluster needed: the release "download"
is served from 127.0.0.1.

The first run builds krew (cached in ~/.cache/kubectl-batch-test-cluster/krew-<version>/).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from kubectl_batch import __version__

pytestmark = pytest.mark.krew

ROOT = Path(__file__).resolve().parents[2]
GO_MODULE = Path(__file__).resolve().parent / "go"
MANIFEST = ROOT / "krew" / "batch.yaml"
CACHE = Path(os.environ.get("KBT_CACHE", Path.home() / ".cache" / "kubectl-batch-test-cluster"))
RELEASES = "https://github.com/kubectl-batch/kubectl-batch/releases/download/"

# Some of the <os, arch> pairs krew knows (validate-krew-manifest's allPlatforms()).
KREW_PLATFORMS = [
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
]
OFFERED_OS = {"linux", "darwin"}

NEXT_RUNS = [
    "next-runs",
    "--schedule",
    "0 9 * * 1-5",
    "--time-zone",
    "Europe/Berlin",
    "--after",
    "2026-03-27T00:00:00Z",
    "--count",
    "3",
    "-o",
    "json",
]
# 09:00 on weekdays in Berlin: Friday 27 March is still CET (UTC+1); the clocks go forward
# on Sunday 29 March 2026, so Monday and Tuesday are CEST (UTC+2).
NEXT_RUNS_JSON = {
    "items": [
        {
            "namespace": None,
            "name": None,
            "schedule": "0 9 * * 1-5",
            "timeZone": "Europe/Berlin",
            "suspend": False,
            "nextRuns": ["2026-03-27T08:00:00Z", "2026-03-30T07:00:00Z", "2026-03-31T07:00:00Z"],
            "description": "At 09:00, Monday through Friday (Europe/Berlin)",
            "findings": [],
        }
    ]
}


def krew_version() -> str:
    match = re.search(r"^\s*sigs\.k8s\.io/krew (v\S+)", (GO_MODULE / "go.mod").read_text(), re.M)
    assert match, "tests/krew/go/go.mod pins no sigs.k8s.io/krew version"
    return match.group(1)


@pytest.fixture(scope="session")
def krew_tools() -> Path:
    """A directory holding kubectl-krew and validate-krew-manifest, built once per version."""
    version = krew_version()
    out = CACHE / f"krew-{version}"
    tools = ("kubectl-krew", "validate-krew-manifest")
    if all((out / tool).exists() for tool in tools):
        return out
    if not shutil.which("go"):
        pytest.fail("building krew needs Go on PATH (or deselect with -m 'not krew')")
    tmp = CACHE / f"krew-{version}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    ldflags = f"-s -w -X sigs.k8s.io/krew/internal/version.gitTag={version}"
    env = {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}
    done = subprocess.run(
        ["go", "build", "-trimpath", "-ldflags", ldflags, "-o", f"{tmp}/"]
        + ["sigs.k8s.io/krew/cmd/krew", "sigs.k8s.io/krew/cmd/validate-krew-manifest"],
        cwd=GO_MODULE,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, f"building krew {version} failed:\n{done.stderr}"
    (tmp / "krew").rename(tmp / "kubectl-krew")
    try:
        tmp.rename(out)
    except OSError:  # a concurrent run got there first
        shutil.rmtree(tmp, ignore_errors=True)
    return out


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(archive, manifest) from `python krew/build.py`, both outside the checkout."""
    out = tmp_path_factory.mktemp("krew-build")
    manifest = out / "batch.yaml"  # validate-krew-manifest wants <plugin name>.yaml
    done = subprocess.run(
        [sys.executable, str(ROOT / "krew" / "build.py"), "--out-dir", str(out)]
        + ["--manifest-out", str(manifest)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"krew/build.py failed:\n{done.stdout}{done.stderr}"
    return out / "kubectl-batch.tar.gz", manifest


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def served_manifest(built, tmp_path_factory) -> Path:
    """The built manifest with its uris pointing at the archive served from 127.0.0.1,
    standing in for the release page that does not exist yet."""
    archive, manifest = built
    handler = functools.partial(_QuietHandler, directory=str(archive.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{archive.name}"
    served = tmp_path_factory.mktemp("served") / "batch.yaml"
    served.write_text(re.sub(r"(?m)^(\s+uri:) .*$", rf"\1 {url}", manifest.read_text()))
    yield served
    server.shutdown()
    server.server_close()


def krew_env(krew_tools: Path, root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KREW_", "PYTHON"))}
    env.update(
        KREW_ROOT=str(root),
        KREW_NO_UPGRADE_CHECK="1",
        PATH=os.pathsep.join([str(root / "bin"), str(krew_tools), os.environ["PATH"]]),
        **extra,
    )
    return env


def run(args: list[str], env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, **kw)


def install(krew_tools, root, archive, manifest, **platform) -> subprocess.CompletedProcess:
    env = krew_env(krew_tools, root, **platform)
    return run(
        ["kubectl", "krew", "install", f"--manifest={manifest}", f"--archive={archive}"],
        env,
        stdin=subprocess.DEVNULL,
    )


def without_sha256(text: str) -> str:
    return re.sub(r"(?m)^(\s+sha256:) .*$", r"\1 -", text)


def test_manifest_tracks_the_package(built):
    archive, generated = built
    committed_text = MANIFEST.read_text()
    # The build writes only version, uris and sha256s; the committed manifest differs from
    # what it writes by the sha256 at most (the archive changes with every source change).
    assert without_sha256(generated.read_text()) == without_sha256(committed_text)

    committed = yaml.safe_load(committed_text)
    assert committed["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2"
    assert committed["kind"] == "Plugin"
    assert committed["metadata"]["name"] == "batch"
    spec = committed["spec"]
    assert spec["version"] == f"v{__version__}"
    assert "python3" in spec["caveats"] and "3.10" in spec["caveats"]
    assert {p["selector"]["matchLabels"]["os"] for p in spec["platforms"]} == OFFERED_OS
    for platform in spec["platforms"]:
        assert platform["uri"] == f"{RELEASES}v{__version__}/kubectl-batch.tar.gz"
        assert re.fullmatch(r"[0-9a-f]{64}", platform["sha256"])
        assert platform["bin"] == "kubectl-batch"

    sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert {p["sha256"] for p in yaml.safe_load(generated.read_text())["spec"]["platforms"]} == {
        sha256
    }


def test_archive_is_reproducible(tmp_path):
    """Same sources and lock, same bytes (so the same sha256), wherever and whenever built.
    Built twice from one snapshot of the checkout: others may be editing the live one."""
    snapshot = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("kubectl_batch", "krew"):
        shutil.copytree(ROOT / name, snapshot / name, ignore=ignore)
    for name in ("pyproject.toml", "LICENSE"):
        shutil.copyfile(ROOT / name, snapshot / name)
    archives = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        done = subprocess.run(
            [sys.executable, str(snapshot / "krew" / "build.py"), "--out-dir", str(out)]
            + ["--manifest-out", str(out / "batch.yaml")],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        archives.append((out / "kubectl-batch.tar.gz").read_bytes())
    assert archives[0] == archives[1]


def test_krew_index_validation(krew_tools, built, served_manifest, tmp_path):
    """What the krew index's CI runs on a manifest: validate-krew-manifest, which checks the
    structure and the platform selectors, then installs every platform from its uri and
    looks for the LICENSE."""
    _, manifest = built
    validate = str(krew_tools / "validate-krew-manifest")
    env = krew_env(krew_tools, tmp_path / "unused")
    done = run([validate, "-manifest", str(served_manifest)], env)
    assert done.returncode == 0, f"{done.stdout}{done.stderr}"
    assert "structural validation OK" in done.stderr
    assert "all 2 spec.platforms installed fine" in done.stderr
    # The manifests with the real release uris: everything but the download.
    for path in (manifest, MANIFEST):
        done = run([validate, "-manifest", str(path), "-skip-install"], env)
        assert done.returncode == 0, f"{path}: {done.stdout}{done.stderr}"
        assert "no overlapping spec.platform[].selector" in done.stderr


def test_local_install_on_every_platform(krew_tools, built, tmp_path):
    """The README's `kubectl krew install --manifest=... --archive=...`, as krew would do it
    on each OS and architecture it knows: installed on linux and darwin, whatever the
    architecture; refused on Windows."""
    archive, manifest = built
    for os_, arch in KREW_PLATFORMS:
        root = tmp_path / f"{os_}-{arch}"
        done = install(krew_tools, root, archive, manifest, KREW_OS=os_, KREW_ARCH=arch)
        if os_ not in OFFERED_OS:
            assert done.returncode != 0
            assert "does not offer installation for this platform" in done.stderr
            continue
        assert done.returncode == 0, f"{os_}/{arch}: {done.stderr}"
        store = root / "store" / "batch" / f"v{__version__}"
        assert (store / "LICENSE").is_file(), f"{os_}/{arch}: no LICENSE installed"
        link = root / "bin" / "kubectl-batch"
        assert link.is_symlink() and Path(os.readlink(link)) == store / "kubectl-batch"
        assert os.access(store / "kubectl-batch", os.X_OK)


def check_kubectl_batch(root: Path, env: dict[str, str]) -> None:
    """kubectl runs the krew-installed plugin and it prints the right things."""
    # kubectl finds the krew-installed plugin first (a pip-installed one may be on PATH too).
    listed = run(["kubectl", "plugin", "list"], env).stdout.split()
    found = [p for p in listed if p.endswith("/kubectl-batch")]
    assert found and found[0] == str(root / "bin" / "kubectl-batch"), listed

    done = run(["kubectl", "batch", "--version"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"kubectl-batch {__version__}"

    done = run(["kubectl", "batch", *NEXT_RUNS], env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == NEXT_RUNS_JSON

    # It ran from the krew store, which now holds its bytecode caches for the next start.
    store = root / "store" / "batch" / f"v{__version__}"
    assert list((store / "lib" / "kubectl_batch").glob("__pycache__/cli.*.pyc"))

    # The caveats' link for completion; then kubectl completes `kubectl batch retry<TAB>`.
    (root / "bin" / "kubectl_complete-batch").symlink_to(store / "kubectl_complete-batch")
    done = run(["kubectl", "__complete", "batch", "retry"], env)
    assert done.stdout.splitlines() == [
        "retry-failed\tre-run only the failed indexes of a finished Indexed Job",
        ":4",
    ], done.stdout


def test_kubectl_batch_installed_from_local_manifest(krew_tools, built, tmp_path):
    archive, manifest = built
    root = tmp_path / "krew"
    done = install(krew_tools, root, archive, manifest)
    assert done.returncode == 0, done.stderr
    assert "Installed plugin: batch" in done.stderr
    assert "python3, version 3.10 or newer" in done.stderr  # the caveats are shown
    receipt = yaml.safe_load((root / "receipts" / "batch.yaml").read_text())
    assert receipt["spec"]["version"] == f"v{__version__}"
    check_kubectl_batch(root, krew_env(krew_tools, root))


def test_kubectl_batch_installed_from_an_index(krew_tools, served_manifest, tmp_path):
    """As users will once the plugin is in the krew index: a (local, git) plugin index holds
    plugins/batch.yaml; `kubectl krew install INDEX/batch` downloads the archive from the
    manifest's uri; list, info and uninstall work."""
    index = tmp_path / "index"
    (index / "plugins").mkdir(parents=True)
    shutil.copyfile(served_manifest, index / "plugins" / "batch.yaml")
    git = ["git", "-C", str(index), "-c", "user.name=test", "-c", "user.email=test@localhost"]
    for args in (["init", "-q"], ["add", "plugins"], ["commit", "-q", "-m", "batch"]):
        subprocess.run([*git, *args], check=True, capture_output=True)

    root = tmp_path / "krew"
    env = krew_env(krew_tools, root)
    krew = ["kubectl", "krew"]
    for args in (["index", "add", "test", str(index)], ["install", "test/batch"]):
        done = run([*krew, *args], env, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"krew {' '.join(args)}: {done.stderr}"
    check_kubectl_batch(root, env)

    done = run([*krew, "list"], env)
    assert done.returncode == 0 and "test/batch" in done.stdout, done.stdout + done.stderr
    done = run([*krew, "info", "test/batch"], env)
    assert f"VERSION: v{__version__}" in done.stdout, done.stdout + done.stderr
    done = run([*krew, "uninstall", "batch"], env)
    assert done.returncode == 0, done.stderr
    assert not (root / "bin" / "kubectl-batch").exists()
    assert not (root / "store" / "batch").exists()


def test_bundle_needs_nothing_from_site_packages(krew_tools, built, tmp_path):
    """Every kubectl_batch module and every bundled dependency imports from the installed
    archive alone: Python in isolated mode, without site-packages."""
    archive, manifest = built
    root = tmp_path / "krew"
    assert install(krew_tools, root, archive, manifest).returncode == 0
    lib = root / "store" / "batch" / f"v{__version__}" / "lib"
    code = f"""
import importlib, json, pkgutil, sys
sys.path.insert(0, {str(lib)!r})
import kubectl_batch
names = [m.name for m in pkgutil.walk_packages(kubectl_batch.__path__, "kubectl_batch.")
         if not m.name.endswith(".__main__")]
names += ["textual.app", "rich.console", "yaml", "urllib3", "tzdata", "cron_descriptor"]
print(json.dumps({{n: importlib.import_module(n).__file__ for n in names}}))
"""
    done = run([sys.executable, "-I", "-S", "-c", code], {"PATH": os.environ["PATH"]})
    assert done.returncode == 0, done.stderr
    files = json.loads(done.stdout)
    assert all(f.startswith(str(lib)) for f in files.values()), files
    assert any(n.startswith("kubectl_batch.domain.") for n in files)


@pytest.fixture
def launcher(krew_tools, built, tmp_path) -> Path:
    archive, manifest = built
    root = tmp_path / "krew"
    assert install(krew_tools, root, archive, manifest).returncode == 0
    return root / "bin" / "kubectl-batch"


def as_python_39(launcher: Path, path: str, **env: str) -> subprocess.CompletedProcess:
    """Runs the launcher as a Python 3.9 would (sys.version_info faked)."""
    code = (
        "import runpy, sys; sys.version_info = (3, 9, 18, 'final', 0); "
        f"sys.argv = [{str(launcher)!r}, '--version']; "
        f"runpy.run_path({str(launcher)!r}, run_name='__main__')"
    )
    return run([sys.executable, "-c", code], {"PATH": path, **env})


def fake_python(directory: Path, name: str) -> Path:
    directory.mkdir(exist_ok=True)
    exe = directory / name
    exe.write_text('#!/bin/sh\necho "$0 $* reexec=$_KUBECTL_BATCH_REEXEC"\n')
    exe.chmod(0o755)
    return exe


def test_launcher_on_a_too_old_python(launcher, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    done = as_python_39(launcher, str(empty))
    assert done.returncode == 1
    assert done.stderr.startswith("error: kubectl batch needs Python 3.10 or newer;")
    assert "3.9.18" in done.stderr and "KUBECTL_BATCH_PYTHON" in done.stderr

    # A newer python3.X on PATH is used instead.
    newer = fake_python(tmp_path / "bin", "python3.12")
    done = as_python_39(launcher, str(newer.parent))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{newer} {launcher.resolve()} --version reexec=1"

    # KUBECTL_BATCH_PYTHON wins, whatever the version.
    chosen = fake_python(tmp_path / "other", "py")
    done = as_python_39(launcher, str(newer.parent), KUBECTL_BATCH_PYTHON=str(chosen))
    assert done.stdout.strip() == f"{chosen} {launcher.resolve()} --version reexec=1"
