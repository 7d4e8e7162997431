"""The cold-start profile's reader: `-X importtime` lines summed by top-level package, NAMED packages' first import."""

from __future__ import annotations

from bench.import_time import parse

STDERR = """\
import time: self [us] | cumulative | imported package
import time:       120 |        120 |   _io
import time:       300 |        300 |       botocore.compat
import time:      1000 |       1300 |     botocore.session
import time:       500 |       1800 |   boto3
import time:        40 |         40 |     botocore.session
import time:       700 |       2540 | reinviter.handler
a line of the program's own output
"""


def test_self_times_add_up_by_top_level_package_and_named_packages_keep_their_first_cumulative_time() -> None:
    by_package, named = parse(STDERR)

    assert by_package == {"_io": 120, "botocore": 1340, "boto3": 500, "reinviter": 700}
    assert sum(by_package.values()) == 2660  # additive: every module once, the header and other lines ignored
    assert named == {"botocore.session": 1300, "boto3": 1800, "reinviter.handler": 2540}
