"""The deployable zip, built by scripts/build_artifact.py: its layout imports with nothing but itself on the path.

An editable install can hide a layout that breaks in Lambda, so these tests import the handler from the built tree in
a fresh interpreter that sees no virtualenv. They download wheels from PyPI once per session (about 10 s when pip's
cache is warm).
"""

from __future__ import annotations

import hashlib
import json
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_artifact.py"
SRC = ROOT / "src"
# Measured 44.1 MB unzipped with boto3/botocore 1.44.5 (botocore's service models are 23 MB; the byte code compiled
# for python3.13, 8.6 MB). Lambda allows 250 MB; this budget is here to notice growth, not to meet a limit.
UNZIPPED_BUDGET = 48 * 1000 * 1000
EM_AARCH64 = 183  # ELF e_machine for AArch64
ELF_HEADER = struct.Struct("<4sBB12xH")  # magic, EI_CLASS, EI_DATA, (rest of e_ident, e_type), e_machine
ELFCLASS64, ELFDATA2LSB = 2, 1
# The operator's command line and its libraries (reinviter_cli/, Click, rich) live outside CodeUri: never shipped.
NEVER_SHIPPED = {"tests", "devkit", "wickr_emulator", "bin", "reinviter_cli", "click", "rich"}

PROBE = """
import json, sys, sysconfig
tree = sys.argv[1]
sys.path.insert(0, tree)
import botocore.session
import reinviter.handler
model = botocore.session.get_session().get_service_model("wickr")
stdlib = (sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib"))
foreign = sorted(
    f"{name}: {module.__file__}"
    for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None)
    and not module.__file__.startswith(tree)
    and (not module.__file__.startswith(stdlib) or "site-packages" in module.__file__)
)
print(json.dumps({
    "handler": reinviter.handler.__file__,
    "callable": callable(getattr(reinviter.handler, "lambda_handler", None)),
    "botocore": botocore.__file__,
    "service": model.service_name,
    "operations": sorted(model.operation_names),
    "foreign": foreign,
    "path": sys.path,
}))
"""


def _build(out: Path, platform: str, wheel_dir: Path) -> Path:
    command = [sys.executable, str(SCRIPT), "--src", str(SRC), "--out", str(out), "--platform", platform]
    command += ["--wheel-dir", str(wheel_dir)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="session")
def wheel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One wheel download per session, shared by both builds (pure-Python wheels serve either platform)."""
    return tmp_path_factory.mktemp("wheels")


@pytest.fixture(scope="session")
def host_build(tmp_path_factory: pytest.TempPathFactory, wheel_dir: Path) -> Path:
    if sys.version_info[:2] != (3, 13):
        pytest.skip("the host build must run on Python 3.13, the Lambda runtime")
    return _build(tmp_path_factory.mktemp("host"), "host", wheel_dir)


@pytest.fixture(scope="session")
def lambda_zip(tmp_path_factory: pytest.TempPathFactory, wheel_dir: Path) -> zipfile.ZipFile:
    out = _build(tmp_path_factory.mktemp("arm64"), "manylinux2014_aarch64", wheel_dir)
    return zipfile.ZipFile(out / "reinviter.zip")


def test_handler_imports_from_the_artifact_alone(host_build: Path, tmp_path: Path):
    tree = host_build / "lambda"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    # -I: no PYTHON* variables, no user site, no script directory; -S: no site module, so no venv site-packages.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-I", "-S", "-c", PROBE, str(tree)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["handler"] == str(tree / "reinviter" / "handler.py")
    assert report["callable"]
    assert report["botocore"].startswith(str(tree))
    assert report["foreign"] == []
    assert not [entry for entry in report["path"] if "site-packages" in entry]
    assert report["service"] == "wickr"
    assert {"GetUser", "ListUsers", "BatchReinviteUser"} <= set(report["operations"])


def test_extensions_are_aarch64(lambda_zip: zipfile.ZipFile):
    extensions = [name for name in lambda_zip.namelist() if re.search(r"\.so(\.|$)", name)]
    assert any(re.fullmatch(r"pydantic_core/_pydantic_core\.cpython-313-aarch64-linux-gnu\.so", n) for n in extensions)
    for name in extensions:
        with lambda_zip.open(name) as extension:
            magic, elf_class, data, machine = ELF_HEADER.unpack(extension.read(ELF_HEADER.size))
        assert (magic, elf_class, data) == (b"\x7fELF", ELFCLASS64, ELFDATA2LSB), name
        assert machine == EM_AARCH64, f"{name}: e_machine {machine}"


def test_layout(lambda_zip: zipfile.ZipFile):
    names = set(lambda_zip.namelist())
    assert "reinviter/handler.py" in names
    assert "reinviter/settings.py" in names
    shipped = [name for name in names if NEVER_SHIPPED & set(name.split("/")[:-1])]
    assert shipped == []
    assert not [name for name in names if name.endswith(".pyi")]
    # Byte code only as Lambda's python3.13 reads it, beside its source (compiled at build time: the filesystem is
    # read-only, so without it every cold start compiles every module again).
    compiled = [name for name in names if name.endswith(".pyc")]
    assert "reinviter/__pycache__/handler.cpython-313.pyc" in compiled
    for name in compiled:
        path = PurePosixPath(name)
        assert (path.parent.name, path.name.endswith(".cpython-313.pyc")) == ("__pycache__", True), name
        assert str(path.parent.parent / f"{path.name.split('.')[0]}.py") in names, name
    assert not [name for name in names if name.startswith(("src/", "events/", "scripts/"))]


def test_pinned_versions_are_the_ones_shipped(lambda_zip: zipfile.ZipFile):
    top_level = {name.split("/")[0] for name in lambda_zip.namelist()}
    pins = re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)", (SRC / "requirements.txt").read_text(), re.MULTILINE)
    assert pins
    for name, version in pins:
        assert f"{re.sub(r'[-.]+', '_', name).lower()}-{version}.dist-info" in top_level, name


def test_size_budget(lambda_zip: zipfile.ZipFile):
    unzipped = sum(info.file_size for info in lambda_zip.infolist())
    assert unzipped < UNZIPPED_BUDGET, f"{unzipped / 1e6:.1f} MB unzipped"


def test_every_package_of_the_lock_is_pinned_and_hashed():
    lock = (SRC / "requirements.txt").read_text()
    entries = re.findall(
        r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?(==\S+)? \\\n((?:\s+--hash=sha256:[0-9a-f]{64}.*\n)+)", lock, re.M
    )
    named = re.findall(r"^[A-Za-z0-9_.-]+", lock, re.M)
    assert len(entries) == len(named) > 4  # the closure, not only the direct pins
    assert all(version for _, _, version, _ in entries)


@pytest.mark.parametrize("tamper", ["a hash that does not match", "a package without a hash"])
def test_the_build_refuses_a_lock_it_cannot_verify(tamper: str, tmp_path: Path, wheel_dir: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "reinviter").symlink_to(SRC / "reinviter", target_is_directory=True)
    lock = (SRC / "requirements.txt").read_text()
    if tamper == "a hash that does not match":
        pinned = re.search(r"^six==\S+ \\\n(?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+", lock, re.M)
        assert pinned is not None
        lock = lock.replace(pinned.group(0), "six==1.17.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
        expected = "do not match the hashes"
    else:
        lock += "idna==3.10\n"  # a package the lock did not name
        expected = "hashes are required"
    (src / "requirements.txt").write_text(lock)
    command = [sys.executable, str(SCRIPT), "--src", str(src), "--out", str(tmp_path / "out")]
    command += ["--platform", "manylinux2014_aarch64", "--wheel-dir", str(wheel_dir)]

    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)  # noqa: S603

    assert result.returncode != 0
    assert expected in result.stderr.lower(), result.stderr
    assert not (tmp_path / "out" / "reinviter.zip").exists()


# -- what `sam build` deploys ---------------------------------------------------------------------------------------
SAM = ROOT / ".venv-sam" / "bin" / "sam"
WRITTEN_BY_PIP = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}  # a dist-info's files no wheel carries


def _locked_hashes() -> dict[tuple[str, str], set[str]]:
    """(normalized name, version) -> the sha256 hashes the lock allows for it."""
    lock = (SRC / "requirements.txt").read_text()
    entries = re.findall(
        r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}.*\n)+)", lock, re.M
    )
    return {(_normalized(name), version): set(re.findall(r"[0-9a-f]{64}", hashes)) for name, version, hashes in entries}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_path(member: str, stem: str) -> PurePosixPath:
    """Where pip --target puts a wheel's member: `<stem>.data/scripts/x` in bin/, purelib and platlib at the root."""
    path = PurePosixPath(member)
    if path.parts[0] != f"{stem}.data":
        return path
    kind, *rest = path.parts[1:]
    assert kind in {"scripts", "purelib", "platlib"}, member  # headers and data: no locked wheel has them
    return PurePosixPath("bin" if kind == "scripts" else "", *rest)


def _source_of(compiled: Path) -> Path:
    """The module a __pycache__/<name>.cpython-313.pyc was compiled from (the build compiles after installing)."""
    return compiled.parent.parent / f"{compiled.name.split('.')[0]}.py"


@pytest.fixture(scope="session")
def locked_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lock's wheels for Lambda's platform, downloaded by pip with --require-hashes (a directory of its own)."""
    from scripts.build_artifact import LAMBDA_PLATFORM, pip_target_args

    dest = tmp_path_factory.mktemp("locked-wheels")
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(dest), "--require-hashes"]
    command += ["--requirement", str(SRC / "requirements.txt"), *pip_target_args(LAMBDA_PLATFORM)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)  # noqa: S603
    assert result.returncode == 0, result.stderr
    return dest


@pytest.fixture(scope="session")
def sam_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sam build` as a deployer runs it (SAM CLI from its venv, no Docker): the function's built directory."""
    if not SAM.exists():
        pytest.skip("the SAM CLI's venv is missing: `make validate` (part of `make test`) builds it")
    out = tmp_path_factory.mktemp("sam-build")
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",  # the build's python3 and make
        "HOME": str(out),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SAM_CLI_TELEMETRY": "0",
        "__SAM_CLI_APP_DIR": str(ROOT / ".venv-sam" / "app"),
    }
    command = [str(SAM), "build", "--template", str(ROOT / "template.yaml"), "--build-dir", str(out / "build")]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT, env=env, timeout=900)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr
    assert "build_artifact.py" in result.stdout + result.stderr  # src/Makefile ran, not SAM's Python builder
    return out / "build" / "ReinviterFunction"


def test_what_sam_build_deploys_is_the_locked_wheels_file_for_file(sam_built: Path, locked_wheels: Path):
    """Every installed package is a wheel whose hash the lock names (for Lambda's platform), byte for byte.

    `locked_wheels` are the aarch64 wheels, downloaded with --require-hashes; here each one's hash is checked against
    the lock again, and every file sam build produced is either ours (reinviter/), pip's bookkeeping,
    or identical to the file of that wheel. A wheel fetched by name alone (SAM's Python builder) would fail here.
    """
    from scripts.build_artifact import is_pruned

    locked = _locked_hashes()
    accounted: set[Path] = set()
    installed: set[tuple[str, str]] = set()
    for dist_info in sorted(sam_built.glob("*.dist-info")):
        stem = dist_info.name.removesuffix(".dist-info")
        name, version = stem.rsplit("-", 1)
        installed.add((_normalized(name), version))
        (wheel,) = locked_wheels.glob(f"{stem}-*.whl")
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() in locked[(_normalized(name), version)], wheel.name
        with zipfile.ZipFile(wheel) as archive:
            for info in archive.infolist():
                if info.is_dir() or info.filename == f"{stem}.dist-info/RECORD":
                    continue
                installed_as = _installed_path(info.filename, stem)
                path = sam_built / installed_as
                if is_pruned(installed_as):
                    assert not path.exists(), info.filename
                    continue
                assert path.read_bytes() == archive.read(info), info.filename
                accounted.add(path)
        accounted |= {dist_info / name for name in WRITTEN_BY_PIP if (dist_info / name).exists()}
    assert installed == set(locked)  # every locked package, and nothing else
    ours = {path for path in (sam_built / "reinviter").rglob("*") if path.is_file() and path.suffix != ".pyc"}
    compiled = {
        path for path in sam_built.rglob("__pycache__/*.cpython-313.pyc") if _source_of(path) in accounted | ours
    }
    unaccounted = {path for path in sam_built.rglob("*") if path.is_file()} - accounted - ours - compiled
    assert unaccounted == set()
    assert sorted(p.relative_to(sam_built / "reinviter") for p in ours) == sorted(
        p.relative_to(SRC / "reinviter")
        for p in (SRC / "reinviter").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )


@pytest.mark.parametrize(
    ("variable", "lock", "package"),
    [
        ("SAM_CLI_VERSION", "sam", "aws-sam-cli"),
        ("SAM_TRANSLATOR_VERSION", "sam", "aws-sam-translator"),
        ("CHECKOV_VERSION", "checkov", "checkov"),
    ],
)
def test_the_tool_venvs_install_a_hashed_lock_of_the_version_the_makefile_names(variable: str, lock: str, package: str):
    makefile = (ROOT / "Makefile").read_text()
    named = re.search(rf"^{variable} := (\S+)$", makefile, re.M)
    assert named is not None
    text = (ROOT / "locks" / f"{lock}.txt").read_text()
    assert re.search(rf"^{re.escape(package)}=={re.escape(named.group(1))} \\$", text, re.M), (package, named.group(1))
    pinned = re.findall(r"^[A-Za-z0-9_.-]+==\S+", text, re.M)
    hashed = re.findall(r"^[A-Za-z0-9_.-]+==\S+(?: ; [^\\]+)? \\\n\s+--hash=sha256:[0-9a-f]{64}", text, re.M)
    assert len(pinned) == len(hashed) > 10  # the closure, each with its hashes
    assert f"--require-hashes -r locks/{lock}.txt" in makefile
