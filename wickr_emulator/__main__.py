"""Command line: `python -m wickr_emulator --port 8787 --seed path.json`; prints the URL, serves until stopped."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from wickr_emulator import DEMO_SEED_PATH, WickrEmulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m wickr_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port to listen on; 0 picks a free one (default 8787)")
    parser.add_argument(
        "--seed", type=Path, default=DEMO_SEED_PATH, help="seed JSON file (default: the bundled demo_seed.json)"
    )
    parser.add_argument("--page-size", type=int, default=100, help="ListUsers' default and largest page")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every call")
    parser.add_argument("--rate-limit-share", type=float, default=0.0, help="share of calls answering 429")
    parser.add_argument("--rate-limit-rps", type=float, default=None, help="token bucket rate; excess calls get 429")
    parser.add_argument("--rate-limit-burst", type=float, default=None, help="token bucket size (default max(1, rps))")
    parser.add_argument("--user-failure-share", type=float, default=0.0, help="share of reinvites listed as failed")
    parser.add_argument("--accept-any-key", action="store_true", help="accept any access key (signature unchecked)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGINT or SIGTERM.

    Args:
        argv: The arguments (default: sys.argv[1:]).

    Returns:
        The exit status.
    """
    args = _parser().parse_args(argv)
    emulator = WickrEmulator(
        host=args.host,
        port=args.port,
        page_size=args.page_size,
        accept_any_key=args.accept_any_key,
        verbose=args.verbose,
    )
    emulator.load_seed(args.seed)
    emulator.faults.latency_ms = args.latency_ms
    emulator.faults.rate_limit_share = args.rate_limit_share
    emulator.faults.rate_limit_rps = args.rate_limit_rps
    emulator.faults.rate_limit_burst = args.rate_limit_burst
    emulator.faults.user_failure_share = args.user_failure_share
    stopping = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    with emulator:
        # The URL alone on the first line of stdout, so a script can read it; the rest goes to stderr.
        print(emulator.url, flush=True)
        networks = ", ".join(f"{net} ({len(emulator.users(net))} users)" for net in emulator.network_ids())
        print(f"Wickr emulator serving {networks or 'no networks'}; Ctrl-C stops it", file=sys.stderr, flush=True)
        stopping.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
