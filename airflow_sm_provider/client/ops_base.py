"""Request specs as pure functions: arguments -> ``Call`` (an ``ApiRequest`` plus a response parser).

Why: the sync and the async client must build identical requests and parse identically; keeping
both as data (no I/O here) lets each client be a thin loop over its own transport, and lets tests
check every request body without a server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from airflow_sm_provider.client.errors import InvalidResponseError
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse
from airflow_sm_provider.client.xmlmap import Spec, build, parse_element, parse_list, spec_of
from airflow_sm_provider.client.xmlsafe import parse_xml
from airflow_sm_provider.protocol import NS

T = TypeVar("T")

_NS_DECL = f' xmlns="{NS}"'.encode()


@dataclass(frozen=True)
class Call(Generic[T]):
    """One ASM request and how to read its answer. ``kind``/``target`` label mutating calls."""

    request: ApiRequest
    parse: Callable[[ApiResponse], T]
    kind: str = ""
    target: str = ""


def seg(name: str) -> str:
    """A path segment: names were validated, quoting is belt and braces."""
    return quote(name, safe="")


def root_of(body: bytes) -> Any:
    """Parse a response body (hardened) for mapping.

    The default-namespace declaration is dropped from the root start tag before parsing: every
    element is then un-namespaced, which makes lxml's ``.tag`` cheaper (this is the hot path of a
    1,000-image list). The mapping is namespace-agnostic, so nothing else changes.
    """
    head_end = body.find(b">", 0, 4096)
    if head_end > 0 and body.find(_NS_DECL, 0, head_end) > 0:
        # The first occurrence is the one in the root start tag. One ``replace`` is one copy;
        # slicing and concatenating made two and cost a whole parse's worth of time on 700 KiB.
        body = body.replace(_NS_DECL, b"", 1)
    return parse_xml(body)


def one(cls: type[T]) -> Callable[[ApiResponse], T]:
    expected = spec_of(cls).root

    def parse(resp: ApiResponse) -> T:
        root = root_of(resp.body)
        tag = root.tag if isinstance(root.tag, str) else ""
        if tag.rpartition("}")[2] != expected:
            # A captive portal, a proxy, an <Error> with a 2xx: never map it onto an empty model.
            raise InvalidResponseError(
                f"expected a <{expected}> document but the response is <{tag.rpartition('}')[2] or '?'}>"
            )
        return parse_element(root, cls)

    return parse


def many(cls: type[T], item: str | None = None) -> Callable[[ApiResponse], list[T]]:
    return lambda resp: parse_list(root_of(resp.body), cls, item)


def _accepted(resp: ApiResponse) -> ApiResponse:
    return resp


def get(path: str, cls: type[T], operation: str) -> Call[T]:
    return Call(ApiRequest("GET", path, operation=operation), one(cls))


def get_list(path: str, cls: type[T], operation: str, item: str | None = None) -> Call[list[T]]:
    return Call(ApiRequest("GET", path, operation=operation), many(cls, item))


def write(
    method: str,
    path: str,
    *,
    kind: str,
    target: str,
    spec: Spec | None = None,
    source: Any = None,
    body: bytes | None = None,
    idempotent: bool = True,
) -> Call[ApiResponse]:
    """A mutating call; its parse returns the raw response (status and request id for the handle)."""
    if spec is not None:
        body = build(spec, source)
    return Call(
        ApiRequest(method, path, body=body, idempotent=idempotent, operation=kind),
        _accepted,
        kind=kind,
        target=target,
    )
