"""``set_proxy`` on a ``with_filter`` clone (review finding 7): the clone keeps its filter, and the
parent is unaffected (its settings, its transport). Before: the clone's new transport replaced the
filter (requests went out unfiltered) and the proxy was written into the kwargs the clone shared
with its parent.
"""

from __future__ import annotations

from typing import Any

from airflow_sm_provider.client import ServiceManagementClient
from airflow_sm_provider.client.retry import RetryPolicy
from airflow_sm_provider.client.transport import ApiRequest, ApiResponse

SUB = "11111111-2222-3333-4444-555555555555"
NS = 'xmlns="http://schemas.microsoft.com/windowsazure"'
PROXY = {"https": "http://me:p%40ss@proxy.example:3128"}


def _client(pki: Any) -> ServiceManagementClient:
    return ServiceManagementClient(
        SUB, str(pki.client_pem), "127.0.0.1:1", ca_bundle=str(pki.ca_pem), retry=RetryPolicy.none()
    )


def _recording_filter(seen: list[ApiRequest]) -> Any:
    def answer_here(request: ApiRequest, _next: Any) -> ApiResponse:  # never reaches the network
        seen.append(request)
        return ApiResponse(200, {}, f"<Locations {NS}/>".encode(), None)

    return answer_here


def test_set_proxy_on_a_clone_keeps_its_filter_and_leaves_the_parent_alone(pki: Any) -> None:
    parent = _client(pki)
    try:
        parent_transport, parent_kwargs = parent._transport, dict(parent._transport_kwargs)
        seen: list[ApiRequest] = []
        clone = parent.with_filter(_recording_filter(seen))
        clone.set_proxy("proxy.example", 3128, "me", "p@ss")
        assert clone.list_locations() == [] and [r.path for r in seen] == ["/locations"]
        assert clone._transport_kwargs["proxies"] == PROXY
        assert parent._transport is parent_transport and parent._transport_kwargs == parent_kwargs
        assert parent._transport._proxies == {}  # type: ignore[attr-defined]
        clone.close()  # closes the clone's own proxied transport, not the parent's
        assert parent._transport is parent_transport
    finally:
        parent.close()


def test_chained_filters_survive_set_proxy_in_order(pki: Any) -> None:
    parent = _client(pki)
    order: list[str] = []

    def outer(request: ApiRequest, next_: Any) -> ApiResponse:
        order.append("outer")
        return next_(request)

    seen: list[ApiRequest] = []
    inner = _recording_filter(seen)

    def inner_named(request: ApiRequest, next_: Any) -> ApiResponse:
        order.append("inner")
        return inner(request, next_)

    try:
        clone = parent.with_filter(inner_named).with_filter(outer)
        clone.set_proxy("proxy.example", 3128)
        clone.list_locations()
        assert order == ["outer", "inner"] and len(seen) == 1
    finally:
        parent.close()


def test_set_proxy_on_the_parent_leaves_a_clone_unproxied(pki: Any) -> None:
    parent = _client(pki)
    try:
        clone = parent.with_filter(_recording_filter([]))
        parent.set_proxy("proxy.example", 3128, "me", "p@ss")
        assert parent._transport_kwargs["proxies"] == PROXY
        assert not clone._transport_kwargs.get("proxies")
    finally:
        parent.close()
