"""The one module that knows how we trace.

Powertools Tracer rides on the X-Ray SDK, which reaches end of support on 2027-02-25 (Powertools tracks OpenTelemetry
in its issue #7382). Every tracing call in the code base goes through the three functions here, so the move touches
this file only. Nothing personal is ever traced: annotations are ids and counts, and responses are not captured.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from aws_lambda_powertools import Tracer

TRUTHY = {"1", "y", "yes", "t", "true", "on"}  # what Powertools reads as true in POWERTOOLS_TRACE_DISABLED


def tracing_off() -> bool:
    """Powertools' own rule: off outside Lambda, under SAM local or Chalice, or when POWERTOOLS_TRACE_DISABLED says so.

    Checked before a Tracer exists because building one imports the X-Ray SDK (its recorder: about 25 ms of a cold
    start at one vCPU, bench/README.md), which a function traced by nobody never needs. Any other value of the
    variable is left to the Tracer, which refuses it.
    """
    outside_lambda = not os.environ.get("LAMBDA_TASK_ROOT")
    emulated = bool(os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE"))
    return outside_lambda or emulated or os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in TRUTHY


# Nothing patched: each AWS call is one subsegment of ours (`span`, in its adapter), annotated with what matters.
# Patching botocore as well gave every Wickr call a second subsegment, and at Lambda's CPU share the X-Ray SDK's
# per-subsegment work (serialising, streaming each one over UDP) was a tenth of the batch's CPU (bench/README.md).
_tracer: Tracer | None = None if tracing_off() else Tracer(auto_patch=False)

F = TypeVar("F", bound=Callable[..., Any])
Annotation = str | int | float | bool


def trace_handler(handler: F) -> F:
    """Open the invocation's trace segment; the response (which names users) is not captured."""
    if _tracer is None:
        return handler
    return cast(F, _tracer.capture_lambda_handler(capture_response=False)(handler))


@contextmanager
def span(name: str, **annotations: Annotation) -> Iterator[None]:
    """A subsegment around one unit of work, annotated with ids and counts only.

    An exception marks the subsegment as an error and is annotated by its type (and `code`, where it has one), never
    by its message or stack: the X-Ray SDK's own context manager would record both.
    """
    if _tracer is None or _tracer.disabled:
        yield
        return
    recorder: Any = _tracer.provider  # the X-Ray SDK's recorder; Powertools types it as its abstract provider
    subsegment = recorder.begin_subsegment(name=name)
    try:
        for key, value in annotations.items():
            subsegment.put_annotation(key, value)
        yield
    except BaseException as error:
        subsegment.add_error_flag()
        subsegment.put_annotation("error", type(error).__name__)
        code = getattr(error, "code", None)
        if isinstance(code, str) and code:
            subsegment.put_annotation("error_code", code)
        raise
    finally:
        recorder.end_subsegment()


def annotate(**annotations: Annotation) -> None:
    """Annotate the current segment (searchable in X-Ray): ids and counts, never names."""
    if _tracer is None or _tracer.disabled:
        return
    for key, value in annotations.items():
        _tracer.put_annotation(key, value)  # type: ignore[arg-type]  # int/float are numbers.Number
