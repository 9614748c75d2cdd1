"""Response parsing shared by every operation: ``root_of`` (hardened parse), ``one`` and ``many``.

Requests are built by ``operation.Op.bind`` from the operation table; these turn the answer into
models (``Op.parse`` picks ``one`` or ``many`` from the entry).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from airflow_sm_provider.client.errors import InvalidResponseError
from airflow_sm_provider.client.transport import ApiResponse
from airflow_sm_provider.client.xmlmap import parse_element, parse_list, spec_of
from airflow_sm_provider.client.xmlsafe import parse_xml
from airflow_sm_provider.protocol import NS

T = TypeVar("T")

_NS_DECL = f' xmlns="{NS}"'.encode()


def root_of(body: bytes, *, quote: bool = True) -> Any:
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
    return parse_xml(body, quote=quote)


def one(cls: type[T], *, quote: bool = True) -> Callable[[ApiResponse], T]:
    expected = spec_of(cls).root

    def parse(resp: ApiResponse) -> T:
        root = root_of(resp.body, quote=quote)
        tag = root.tag if isinstance(root.tag, str) else ""
        if tag.rpartition("}")[2] != expected:
            # A captive portal, a proxy, an <Error> with a 2xx: never map it onto an empty model.
            raise InvalidResponseError(
                f"expected a <{expected}> document but the response is <{tag.rpartition('}')[2] or '?'}>"
            )
        return parse_element(root, cls)

    return parse


def many(cls: type[T], item: str | None = None, *, quote: bool = True) -> Callable[[ApiResponse], list[T]]:
    return lambda resp: parse_list(root_of(resp.body, quote=quote), cls, item)
