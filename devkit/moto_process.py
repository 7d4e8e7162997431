"""moto's server in a process of its own, so its CPU neither counts as ours nor holds our interpreter's lock.

`python -m devkit.moto_process` prints the URL on its first line and serves until its standard input closes.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    sys.path[:0] = [str(ROOT)]
    import logging

    from devkit.moto_peer import serial_moto_server  # after the path is set

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line a request otherwise
    with serial_moto_server() as url:
        print(url, flush=True)
        sys.stdin.read()  # until the parent closes the pipe


@contextmanager
def moto_process() -> Iterator[str]:
    """Start the server process; yields its URL."""
    child = subprocess.Popen(
        [sys.executable, "-m", "devkit.moto_process"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        yield child.stdout.readline().strip()
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
