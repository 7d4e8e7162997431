"""What the emulator reads from botocore's `wickr` service model: routes, input constraints, error names.

Reading these from the model (rather than copying them) keeps the emulator honest when botocore moves.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import botocore.session
from botocore.model import ListShape, StructureShape

if TYPE_CHECKING:
    from botocore.model import OperationModel, ServiceModel, Shape

SERVICE_NAME = "wickr"

# The operations the emulator answers; every other operation of the model is routed (so it gets a precise
# error) but answered with BadRequestError.
IMPLEMENTED: frozenset[str] = frozenset(
    {"GetUser", "ListUsers", "BatchReinviteUser", "BatchCreateUser", "GetUsersCount", "UpdateUser"}
)

_LABEL = re.compile(r"\{([A-Za-z0-9_]+)\+?\}")


@dataclass(frozen=True)
class Route:
    """One operation's HTTP binding, compiled from its `requestUri`."""

    operation: str
    method: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Constraint:
    """A string member's modelled limits (`min`, `max`, `pattern`); the pattern must match the whole value."""

    min_length: int | None
    max_length: int | None
    pattern: re.Pattern[str] | None

    def violation(self, value: str) -> str | None:
        """Explain why `value` breaks the constraint.

        Args:
            value: The received value.

        Returns:
            A reason, or None when the value is valid.
        """
        if self.min_length is not None and len(value) < self.min_length:
            return f"must be at least {self.min_length} characters"
        if self.max_length is not None and len(value) > self.max_length:
            return f"must be at most {self.max_length} characters"
        if self.pattern is not None and self.pattern.fullmatch(value) is None:
            return f"must match the pattern {self.pattern.pattern}"
        return None


@functools.cache
def service_model() -> ServiceModel:
    """Load botocore's `wickr` service model once per process.

    Returns:
        The service model.
    """
    return botocore.session.get_session().get_service_model(SERVICE_NAME)


def operation_model(name: str) -> OperationModel:
    """Look up one operation of the model.

    Args:
        name: The operation name, e.g. "GetUser".

    Returns:
        The operation model.
    """
    return service_model().operation_model(name)


@functools.cache
def routes() -> tuple[Route, ...]:
    """Compile every operation's method and URI template.

    Routes with fewer labels come first, so a literal segment (`/users/count`) wins over a label (`/users/{userId}`).

    Returns:
        The routes, most specific first.
    """
    compiled = []
    for name in service_model().operation_names:
        http = operation_model(name).http
        uri = http["requestUri"].split("?", 1)[0]
        labels = tuple(_LABEL.findall(uri))
        parts = _LABEL.split(uri)
        # re.split with one group alternates literal text and label names: escape the former, capture the latter.
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
        compiled.append(Route(name, http["method"].upper(), re.compile(regex), labels))
    return tuple(sorted(compiled, key=lambda route: len(route.labels)))


def match_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """Find the operation a request addresses.

    Args:
        method: The HTTP method.
        path: The URL path, without the query string.

    Returns:
        The route and its (still percent-encoded) label values, or None when no operation matches.
    """
    for route in routes():
        if route.method != method:
            continue
        found = route.pattern.fullmatch(path)
        if found is not None:
            return route, found.groupdict()
    return None


def _structure(shape: Shape | None) -> StructureShape:
    if not isinstance(shape, StructureShape):
        raise TypeError(f"expected a structure shape, got {shape!r}")
    return shape


def _constraint_of(shape: Shape) -> Constraint:
    meta = shape.metadata
    pattern = meta.get("pattern")
    return Constraint(meta.get("min"), meta.get("max"), re.compile(pattern) if pattern else None)


@functools.cache
def input_constraint(operation: str, member: str) -> Constraint:
    """The constraint of one string input member.

    Args:
        operation: The operation name.
        member: The input member name, e.g. "networkId" or "clientToken".

    Returns:
        The member's constraint.
    """
    return _constraint_of(_structure(operation_model(operation).input_shape).members[member])


@functools.cache
def list_member_constraint(operation: str, member: str) -> Constraint:
    """The constraint on the items of a list input member (e.g. BatchReinviteUser's `userIds`).

    Args:
        operation: The operation name.
        member: The list member name.

    Returns:
        The items' constraint.
    """
    shape = _structure(operation_model(operation).input_shape).members[member]
    if not isinstance(shape, ListShape):
        raise TypeError(f"{operation}.{member} is not a list")
    return _constraint_of(shape.member)


@functools.cache
def shape_members(shape_name: str) -> frozenset[str]:
    """The member names of a structure shape, e.g. "User".

    Args:
        shape_name: The shape name.

    Returns:
        Its member names.
    """
    return frozenset(_structure(service_model().shape_for(shape_name)).members)


@functools.cache
def output_members(operation: str) -> frozenset[str]:
    """The member names of an operation's output.

    Args:
        operation: The operation name.

    Returns:
        Its output member names.
    """
    return frozenset(_structure(operation_model(operation).output_shape).members)


@functools.cache
def required_members(shape_name: str) -> tuple[str, ...]:
    """The required member names of a structure shape.

    Args:
        shape_name: The shape name.

    Returns:
        Its required member names.
    """
    return tuple(_structure(service_model().shape_for(shape_name)).required_members)


@functools.cache
def error_names() -> dict[int, str]:
    """Map each HTTP status the model gives an error shape to that shape's name (429 -> "RateLimitError").

    Returns:
        Status to error name.
    """
    names: dict[int, str] = {}
    for shape in service_model().error_shapes:
        status = shape.metadata.get("error", {}).get("httpStatusCode")
        if status is not None:
            names[int(status)] = shape.name
    return names
