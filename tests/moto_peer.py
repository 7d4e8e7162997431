"""moto's server, one request at a time: the DynamoDB peer of every test and benchmark that runs invocations at once.

moto's ThreadedMotoServer serves each connection on its own thread, and moto's TransactWriteItems is not isolated:
it applies its writes one by one and, when a condition fails, puts back a copy of the whole table taken before it
started, erasing whatever a concurrent request wrote meanwhile. Real DynamoDB transactions are serializable, so
the peer serializes requests (connections stay open; only the handling of a request takes the lock).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server


@contextmanager
def serial_moto_server() -> Iterator[str]:
    """moto on 127.0.0.1, an ephemeral port; yields its URL."""
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
