"""moto's server, one request at a time: the DynamoDB peer of every test and benchmark that runs invocations at once.

moto's ThreadedMotoServer serves each connection on its own thread, and moto's TransactWriteItems is not isolated:
it applies its writes one by one and, when a condition fails, puts back a copy of the whole table taken before it
started, erasing whatever a concurrent request wrote meanwhile. Real DynamoDB transactions are serializable, so
the peer serializes requests (connections stay open; only the handling of a request takes the lock).

moto also deep-copies the whole table once per *action* of a transaction (a 50-user claim on a 500-item table copies
25,000 items), all before the first write, so every copy is the same snapshot. `_one_snapshot_per_transaction`
makes it take that snapshot once: the same rollback state, 50 times less of moto's own CPU.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import moto.dynamodb.models as moto_dynamodb
from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


class _SnapshotOnce:
    """Stands in for the `copy` module inside moto's DynamoDB backend: within one transaction, one copy per object."""

    def __init__(self) -> None:
        self.taken: dict[int, Any] | None = None

    def deepcopy(self, value: Any) -> Any:
        if self.taken is None or not isinstance(value, moto_dynamodb.Table):
            return copy.deepcopy(value)
        if id(value) not in self.taken:
            self.taken[id(value)] = copy.deepcopy(value)
        return self.taken[id(value)]


def _one_snapshot_per_transaction() -> None:
    backend = moto_dynamodb.DynamoDBBackend
    if getattr(backend.transact_write_items, "snapshot_once", False):
        return
    snapshots = _SnapshotOnce()
    moto_dynamodb.copy = snapshots  # type: ignore[attr-defined]
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        snapshots.taken = {}  # requests are serialized (below), so one transaction at a time
        try:
            original(self, transact_items)
        finally:
            snapshots.taken = None

    transact_write_items.snapshot_once = True  # type: ignore[attr-defined]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]


@contextmanager
def serial_moto_server() -> Iterator[str]:
    """moto on 127.0.0.1, an ephemeral port; yields its URL."""
    _one_snapshot_per_transaction()
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serial(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with lock:
            return list(app(environ, start_response))  # the whole body inside the lock

    server = make_server("127.0.0.1", 0, serial, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
