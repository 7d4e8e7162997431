"""Build the Lambda deployment zip without Docker: target-platform wheels, the `reinviter` package, nothing else.

    python scripts/build_artifact.py                  # arm64 / python3.13, as template.yaml deploys it
    python scripts/build_artifact.py --platform host  # for this machine's interpreter (to import-test the layout)

Writes <out>/lambda/ (the unzipped tree, what Lambda puts on its import path) and <out>/reinviter.zip.
`--wheel-dir` downloads wheels into a directory once and installs from it offline (the packaging tests share one).
`--tree DIR` writes only the unzipped tree, into DIR: what `sam build` runs (src/Makefile, BuildMethod makefile), so
that what SAM deploys is this hash-checked build and not its own resolver's.
"""

from __future__ import annotations

import argparse
import compileall
import os
import py_compile
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "reinviter"
# template.yaml: Runtime python3.13, Architectures [arm64]. Lambda's python3.13 runs on Amazon Linux 2023
# (glibc 2.34), so manylinux2014 (glibc 2.17) wheels are safe there.
LAMBDA_PLATFORM = "manylinux2014_aarch64"
LAMBDA_PYTHON = "3.13"
HOST = "host"
# Lambda's limits for a zip: 50 MB to upload directly, 250 MB unzipped (function and layers together).
ZIP_UPLOAD_LIMIT = 50 * 1000 * 1000
UNZIPPED_LIMIT = 250 * 1000 * 1000
# Fixed timestamp: the same inputs give the same zip bytes, so an unchanged build does not redeploy the code.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def pip_target_args(platform: str) -> list[str]:
    """Wheels only, for the target's platform and Python (or for the running interpreter with `host`)."""
    args = ["--only-binary=:all:"]
    if platform != HOST:
        args += ["--platform", platform, "--implementation", "cp", "--python-version", LAMBDA_PYTHON]
    return args


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", *args, "--disable-pip-version-check", "--quiet"]
    subprocess.run(command, check=True)  # noqa: S603 - our own interpreter with fixed arguments


def install_requirements(requirements: Path, target: Path, platform: str, wheel_dir: Path | None) -> None:
    """Install the hash-locked requirements into `target`, as pip would for the deployment platform.

    `--require-hashes`: every package must be pinned with its hashes (`make lock`), and a file whose hash does not
    match, or a package the lock does not name, stops the build.
    """
    target_args = ["--require-hashes", *pip_target_args(platform)]
    source_args: list[str] = []
    if wheel_dir is not None:
        _pip("download", "--dest", str(wheel_dir), "--requirement", str(requirements), *target_args)
        source_args = ["--no-index", "--find-links", str(wheel_dir)]
    _pip(
        "install",
        "--target",
        str(target),
        "--requirement",
        str(requirements),
        "--no-compile",  # compiled once, below, for Lambda's Python (pip's would be the build machine's)
        "--root-user-action=ignore",  # a build container runs as root; the target is a plain directory
        *target_args,
        *source_args,
    )


def is_pruned(relative: PurePosixPath) -> bool:
    """Whether a file of the installed tree is one Lambda never imports (so the build drops it).

    Byte code (the build machine's), type stubs and stub-only packages (wrapt-stubs), test suites inside packages,
    and pip --target's console scripts in bin/ (jp.py, host shebangs).
    """
    parts = relative.parts
    return (
        parts[0] == "bin"
        or any(part == "__pycache__" or part.endswith("-stubs") for part in parts[:-1])
        or "tests" in parts[1:-1]
        or relative.suffix in {".pyc", ".pyo", ".pyi"}
    )


def prune(tree: Path) -> None:
    """Drop what Lambda never imports (`is_pruned`), then the directories that leaves empty."""
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        if is_pruned(PurePosixPath(path.relative_to(tree).as_posix())):
            path.unlink()
    for path in sorted((p for p in tree.rglob("*") if p.is_dir()), reverse=True):  # deepest first
        if not any(path.iterdir()):
            path.rmdir()


def copy_package(src: Path, tree: Path) -> None:
    """Copy our package so that `reinviter/` sits at the root, as the Handler `reinviter.handler...` expects."""
    shutil.copytree(src / PACKAGE, tree / PACKAGE, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def compile_bytecode(tree: Path) -> bool:
    """Byte code for every module, as Lambda's python3.13 reads it; False (and none) when this is not Python 3.13.

    Lambda's filesystem is read-only, so without it every cold start compiles each imported module again (botocore,
    pydantic, Powertools: most of the import time at a fraction of a core). `unchecked-hash`: the interpreter trusts
    the .pyc without comparing the source's modification time, which the zip's fixed timestamps would not match.
    """
    if sys.version_info[:2] != tuple(map(int, LAMBDA_PYTHON.split("."))):
        print(f"no byte code shipped: it is compiled by Python {LAMBDA_PYTHON}, and this is {sys.version.split()[0]}")
        return False
    ok = compileall.compile_dir(
        tree, quiet=1, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    )
    if not ok:
        raise SystemExit("compileall failed: a module of the artifact does not compile for Python 3.13")
    return True


def write_zip(tree: Path, archive: Path) -> tuple[int, int]:
    """Zip `tree` reproducibly (sorted entries, fixed times); return (zipped, unzipped) sizes in bytes."""
    unzipped = 0
    archive.unlink(missing_ok=True)
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=ZIP_EPOCH)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16  # a regular file Lambda's user can read
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            unzipped += len(data)
            bundle.writestr(info, data, compresslevel=9)
    return archive.stat().st_size, unzipped


def build_tree(src: Path, tree: Path, platform: str, wheel_dir: Path | None = None) -> Path:
    """The unzipped tree in `tree` (emptied first): the locked requirements, pruned, and our package."""
    if platform == HOST and sys.version_info[:2] != tuple(map(int, LAMBDA_PYTHON.split("."))):
        raise SystemExit(f"--platform host needs Python {LAMBDA_PYTHON} (the Lambda runtime), not {sys.version}")
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    install_requirements(src / "requirements.txt", tree, platform, wheel_dir)
    prune(tree)
    copy_package(src, tree)
    compile_bytecode(tree)
    return tree


def build(src: Path, out: Path, platform: str, wheel_dir: Path | None = None) -> Path:
    """Build `<out>/lambda/` and `<out>/reinviter.zip`; return the zip's path."""
    tree = build_tree(src, out / "lambda", platform, wheel_dir)
    archive = out / f"{PACKAGE}.zip"
    zipped, unzipped = write_zip(tree, archive)
    print(f"{archive}: {zipped / 1e6:.1f} MB zipped, {unzipped / 1e6:.1f} MB unzipped ({platform})")
    if zipped > ZIP_UPLOAD_LIMIT or unzipped > UNZIPPED_LIMIT:
        raise SystemExit("the artifact exceeds Lambda's zip limits (50 MB zipped, 250 MB unzipped)")
    return archive


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="CodeUri: requirements.txt + reinviter/")
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="output directory (default: build/)")
    parser.add_argument("--platform", default=LAMBDA_PLATFORM, help=f"pip platform tag, or '{HOST}'")
    parser.add_argument("--wheel-dir", type=Path, help="download wheels here once and install from it offline")
    parser.add_argument("--tree", type=Path, help="write only the unzipped tree, into this directory (sam build)")
    args = parser.parse_args(argv)
    if args.tree is not None:
        build_tree(args.src.resolve(), args.tree.resolve(), args.platform, args.wheel_dir)
        return
    build(args.src.resolve(), args.out.resolve(), args.platform, args.wheel_dir)


if __name__ == "__main__":
    main()
