"""The deployable zip, built by scripts/build_artifact.py: its layout imports with nothing but itself on the path.

An editable install can hide a layout that breaks in Lambda, so these tests import the handler from the built tree in
a fresh interpreter that sees no virtualenv. They download wheels from PyPI once per session (about 10 s when pip's
cache is warm).
"""

from __future__ import annotations

import json
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_artifact.py"
SRC = ROOT / "src"
# Measured 35.5 MB unzipped (21.1 MB zipped) with boto3/botocore 1.44.5, of which botocore's service models are
# 23 MB. Lambda allows 250 MB; this budget is here to notice growth, not to meet a limit.
UNZIPPED_BUDGET = 40 * 1000 * 1000
EM_AARCH64 = 183  # ELF e_machine for AArch64
ELF_HEADER = struct.Struct("<4sBB12xH")  # magic, EI_CLASS, EI_DATA, (rest of e_ident, e_type), e_machine
ELFCLASS64, ELFDATA2LSB = 2, 1
# The operator's command line and its libraries (reinviter_cli/, Click, rich) live outside CodeUri: never shipped.
NEVER_SHIPPED = {"tests", "devkit", "wickr_emulator", "__pycache__", "bin", "reinviter_cli", "click", "rich"}

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
    assert not [name for name in names if name.endswith((".pyc", ".pyi"))]
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
