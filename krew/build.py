"""Builds the krew release archive from this checkout and writes the manifest's sha256.

    python krew/build.py           # dist/kubectl-batch.tar.gz; updates krew/batch.yaml
    python krew/build.py --lock    # re-pin krew/requirements.txt from pyproject.toml

The archive is one pure-Python bundle for every OS and architecture krew offers it on,
run by the host's python3 (3.10+):

    kubectl-batch   krew/launcher.py: puts lib/ first on sys.path and runs kubectl_batch.cli
    kubectl_complete-batch
                    the same launcher: runs the completion kubectl asks for `kubectl batch
                    <TAB>` (kubectl_batch.commands.complete); krew links only `bin`, so the
                    manifest's caveats tell users to link this one onto their PATH
    lib/            kubectl_batch and its runtime dependencies, pinned (with hashes) in
                    krew/requirements.txt
    LICENSE

krew unpacks it into ~/.krew/store/batch/vX.Y.Z/ and links ~/.krew/bin/kubectl-batch to the
launcher. A plain tree rather than a zipapp because krew unpacks the archive anyway: imports
then run from files with bytecode caches (written on the first run), which is what pip
installs get; a zipapp cannot cache bytecode, and pays for it on every start.

The archive is reproducible (sorted entries, fixed times and owners), so the same checkout
and lock give the same sha256. `version`, every `uri` and every `sha256` in the manifest are
written here from kubectl_batch.__version__ and the archive: never edit them by hand.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.machinery import PathFinder
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PACKAGE = ROOT / "kubectl_batch"
MANIFEST = HERE / "batch.yaml"
LOCK = HERE / "requirements.txt"
LAUNCHER = HERE / "launcher.py"
LICENSE = ROOT / "LICENSE"
ARCHIVE_NAME = "kubectl-batch.tar.gz"
BIN = "kubectl-batch"
COMPLETE_BIN = "kubectl_complete-batch"

# pyproject.toml dependencies that kubectl_batch does not import at run time (it talks to the
# API with urllib3 itself); the build fails if that ever stops being true.
NOT_AT_RUNTIME: set[str] = set()
# Compiled speed-ups left out of the one pure-Python bundle: the package falls back to the
# standard library without them (orjson: kubectl_batch/kube/client.py uses json instead).
NOT_BUNDLED = {"orjson"}
# Installed everywhere although pyproject limits it to Windows: the bundle is for every OS,
# and it gives zoneinfo a time-zone database on hosts that have none (slim containers).
UNCONDITIONAL = {"tzdata"}
# Compiled extensions dropped from the bundle because the package runs without them
# (PyYAML falls back to its pure-Python parser). Any other compiled file fails the build:
# a single archive cannot carry platform-specific code.
OPTIONAL_EXTENSIONS = {"yaml/_yaml"}
COMPILED_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")

# Wheels are chosen for the oldest Python the package supports, so that every dependency
# the oldest one needs is there; pure wheels run on every later Python too. The platform
# only picks which PyYAML wheel to take its pure-Python part from.
PIP_TARGET = [
    "--only-binary=:all:",
    "--python-version=3.10",
    "--implementation=cp",
    "--abi=cp310",
    "--platform=manylinux2014_x86_64",
]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]

# 1980-01-01: fixed times make the archive reproducible (SOURCE_DATE_EPOCH overrides).
DEFAULT_EPOCH = 315532800


class BuildError(Exception):
    pass


def log(msg: str) -> None:
    print(f"krew/build.py: {msg}", file=sys.stderr)


def package_version() -> str:
    text = (PACKAGE / "__init__.py").read_text()
    match = re.search(r'^__version__\s*=\s*["\']([^"\']+)["\']', text, re.M)
    if not match:
        raise BuildError("no __version__ in kubectl_batch/__init__.py")
    return match.group(1)


def _toml(path: Path) -> dict:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        from pip._vendor import tomli as tomllib
    return tomllib.loads(path.read_text())


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_requirements() -> list[str]:
    """pyproject.toml's dependencies, less NOT_AT_RUNTIME, with UNCONDITIONAL's markers off."""
    reqs = []
    for req in _toml(ROOT / "pyproject.toml")["project"]["dependencies"]:
        spec, _, _marker = req.partition(";")
        name = re.match(r"\s*([A-Za-z0-9_.-]+)", spec).group(1)
        if _canonical(name) in NOT_AT_RUNTIME | NOT_BUNDLED:
            continue
        reqs.append(spec.strip() if _canonical(name) in UNCONDITIONAL else req.strip())
    return reqs


def lock() -> None:
    """Resolve the runtime requirements for Python 3.10 and pin them, with hashes."""
    reqs = runtime_requirements()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([*PIP, "download", "--quiet", "--dest", tmp, *PIP_TARGET, *reqs], check=True)
        pins = []
        for wheel in sorted(Path(tmp).glob("*.whl")):
            name, version = wheel.name.split("-")[:2]
            digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
            pins.append(f"{_canonical(name)}=={version} \\\n    --hash=sha256:{digest}")
    header = [
        "# Generated by `python krew/build.py --lock`: do not edit.",
        "# What the krew archive bundles: pyproject.toml's dependencies"
        + (f" less {', '.join(sorted(NOT_AT_RUNTIME | NOT_BUNDLED))}")
        + ",",
        "# resolved for Python 3.10, the oldest the package supports.",
    ]
    LOCK.write_text("\n".join(header + sorted(pins, key=str.lower)) + "\n")
    log(f"wrote {LOCK.relative_to(ROOT)} ({len(pins)} packages)")


def install_dependencies(lib: Path) -> None:
    if not LOCK.exists():
        raise BuildError(f"{LOCK.relative_to(ROOT)} is missing: run `python krew/build.py --lock`")
    subprocess.run(
        [
            *PIP,
            "install",
            "--quiet",
            "--no-warn-conflicts",
            "--no-compile",
            "--require-hashes",
            "--target",
            str(lib),
            *PIP_TARGET,
            "--requirement",
            str(LOCK),
        ],
        check=True,
        env={**os.environ, "PIP_ROOT_USER_ACTION": "ignore"},
    )
    shutil.rmtree(lib / "bin", ignore_errors=True)  # the dependencies' console scripts
    for path in sorted(lib.rglob("*")):
        if path.suffix not in COMPILED_SUFFIXES:
            continue
        rel = path.relative_to(lib).as_posix()
        stem = rel.split(".")[0]
        if stem not in OPTIONAL_EXTENSIONS:
            raise BuildError(
                f"{rel}: a dependency ships compiled code, which one archive for every "
                "platform cannot carry; drop the dependency or list it in OPTIONAL_EXTENSIONS "
                "if it runs without it"
            )
        path.unlink()


def copy_package(lib: Path) -> None:
    shutil.copytree(
        PACKAGE, lib / PACKAGE.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )


def imported_modules(package: Path) -> dict[str, str]:
    """Top-level module names that the package imports anywhere -> one file importing it."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def check_bundle(stage: Path, version: str) -> None:
    """Every module kubectl_batch imports is in the standard library or in lib/, and the
    launcher runs."""
    lib = stage / "lib"
    missing = [
        f"{name} (imported by {where})"
        for name, where in sorted(imported_modules(PACKAGE).items())
        if name not in sys.stdlib_module_names
        and name != "__future__"
        and name not in NOT_BUNDLED
        and PathFinder.find_spec(name, [str(lib)]) is None
    ]
    if missing:
        raise BuildError(
            "not bundled: "
            + ", ".join(missing)
            + ". Add it to pyproject.toml's dependencies (or take it out of NOT_AT_RUNTIME in "
            "krew/build.py), then run `python krew/build.py --lock`"
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # leave no caches in the staged tree
    done = subprocess.run(
        [sys.executable, str(stage / BIN), "--version"], capture_output=True, text=True, env=env
    )
    if done.returncode != 0 or version not in done.stdout:
        raise BuildError(f"the bundled {BIN} --version failed: {done.stdout}{done.stderr}")
    done = subprocess.run(
        [sys.executable, str(stage / COMPLETE_BIN), ""], capture_output=True, text=True, env=env
    )
    if done.returncode != 0 or "next-runs" not in done.stdout:
        raise BuildError(f"the bundled {COMPLETE_BIN} failed: {done.stdout}{done.stderr}")


def write_archive(stage: Path, archive: Path) -> None:
    """A reproducible .tar.gz of the staged tree."""
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_EPOCH))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(stage.rglob("*"), key=lambda p: p.relative_to(stage).as_posix()):
            info = tar.gettarinfo(str(path), arcname=path.relative_to(stage).as_posix())
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isdir():
                info.mode = 0o755
                tar.addfile(info)
            elif info.isfile():
                executable = path in (stage / BIN, stage / COMPLETE_BIN)
                info.mode = 0o755 if executable else 0o644
                with path.open("rb") as f:
                    tar.addfile(info, f)
            else:
                raise BuildError(f"{path}: only files and directories go in a krew archive")
    archive.parent.mkdir(parents=True, exist_ok=True)
    with (
        archive.open("wb") as out,
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(buf.getvalue())


def update_manifest(template: str, version: str, sha256: str) -> str:
    """The manifest with its version, uris and sha256s for this build."""
    rules = [
        (r"(?m)^(  version:) .*$", rf"\g<1> v{version}"),
        (r"(?m)^(\s+uri: \S+/releases/download/)[^/\s]+/", rf"\g<1>v{version}/"),
        (r"(?m)^(\s+sha256:) .*$", rf'\g<1> "{sha256}"'),
    ]
    text = template
    for pattern, repl in rules:
        text, count = re.subn(pattern, repl, text)
        if not count:
            raise BuildError(f"{MANIFEST.relative_to(ROOT)}: nothing matches {pattern!r}")
    return text


def build(out_dir: Path, manifest_out: Path) -> tuple[Path, str]:
    version = package_version()
    archive = out_dir / ARCHIVE_NAME
    with tempfile.TemporaryDirectory(prefix="kubectl-batch-krew-") as tmp:
        stage = Path(tmp) / "stage"
        lib = stage / "lib"
        lib.mkdir(parents=True)
        log(f"bundling kubectl_batch {version} and {LOCK.relative_to(ROOT)}")
        install_dependencies(lib)
        copy_package(lib)
        for name in (BIN, COMPLETE_BIN):
            shutil.copyfile(LAUNCHER, stage / name)
            (stage / name).chmod(0o755)
        if LICENSE.exists():
            shutil.copyfile(LICENSE, stage / "LICENSE")
        check_bundle(stage, version)
        write_archive(stage, archive)
    sha256 = hashlib.sha256(archive.read_bytes()).hexdigest()
    manifest_out.parent.mkdir(parents=True, exist_ok=True)
    manifest_out.write_text(update_manifest(MANIFEST.read_text(), version, sha256))
    size = archive.stat().st_size / 1e6
    log(f"wrote {archive} ({size:.1f} MB, sha256 {sha256})")
    log(f"wrote {manifest_out}")
    return archive, sha256


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="krew/build.py", description=__doc__.split("\n\n")[0].strip()
    )
    parser.add_argument(
        "--lock", action="store_true", help="re-pin krew/requirements.txt, then stop"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=ROOT / "dist", help="where the archive goes (dist/)"
    )
    parser.add_argument(
        "--manifest-out",
        type=Path,
        default=MANIFEST,
        help="where the updated manifest goes (default: krew/batch.yaml, in place)",
    )
    args = parser.parse_args(argv)
    try:
        if args.lock:
            lock()
        else:
            build(args.out_dir.resolve(), args.manifest_out.resolve())
    except BuildError as exc:
        log(f"error: {exc}")
        return 1
    except subprocess.CalledProcessError as exc:
        log(f"error: {' '.join(map(str, exc.cmd[:5]))} ... exited with {exc.returncode}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
