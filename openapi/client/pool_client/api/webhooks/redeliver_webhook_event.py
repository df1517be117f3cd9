from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.delivery_out import DeliveryOut
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    endpoint_id: str,
    event_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/webhook-endpoints/{endpoint_id}/events/{event_id}/redeliver".format(
            endpoint_id=quote(str(endpoint_id), safe=""),
            event_id=quote(str(event_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> DeliveryOut | Problem | None:
    if response.status_code == 202:
        response_202 = DeliveryOut.from_dict(response.json())

        return response_202

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[DeliveryOut | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    endpoint_id: str,
    event_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[DeliveryOut | Problem]:
    """Send an event to the endpoint (again), now, with the event's one webhook-id

     Creates the event's delivery to the endpoint, or re-arms the existing one with a fresh retry
    schedule. The event must be one the endpoint may be sent: of a type it subscribed to, and one its
    account may see in the feed (public events and the account's own; admins all), older than the
    endpoint or not. Any other event is `event_not_found`.

    Args:
        endpoint_id (str): The webhook endpoint's id (a UUID).
        event_id (str): The event's id: `id` in the feed, `event_id` of a delivery.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DeliveryOut | Problem]
    """

    kwargs = _get_kwargs(
        endpoint_id=endpoint_id,
        event_id=event_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    endpoint_id: str,
    event_id: str,
    *,
    client: AuthenticatedClient,
) -> DeliveryOut | Problem | None:
    """Send an event to the endpoint (again), now, with the event's one webhook-id

     Creates the event's delivery to the endpoint, or re-arms the existing one with a fresh retry
    schedule. The event must be one the endpoint may be sent: of a type it subscribed to, and one its
    account may see in the feed (public events and the account's own; admins all), older than the
    endpoint or not. Any other event is `event_not_found`.

    Args:
        endpoint_id (str): The webhook endpoint's id (a UUID).
        event_id (str): The event's id: `id` in the feed, `event_id` of a delivery.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DeliveryOut | Problem
    """

    return sync_detailed(
        endpoint_id=endpoint_id,
        event_id=event_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    endpoint_id: str,
    event_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[DeliveryOut | Problem]:
    """Send an event to the endpoint (again), now, with the event's one webhook-id

     Creates the event's delivery to the endpoint, or re-arms the existing one with a fresh retry
    schedule. The event must be one the endpoint may be sent: of a type it subscribed to, and one its
    account may see in the feed (public events and the account's own; admins all), older than the
    endpoint or not. Any other event is `event_not_found`.

    Args:
        endpoint_id (str): The webhook endpoint's id (a UUID).
        event_id (str): The event's id: `id` in the feed, `event_id` of a delivery.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[DeliveryOut | Problem]
    """

    kwargs = _get_kwargs(
        endpoint_id=endpoint_id,
        event_id=event_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    endpoint_id: str,
    event_id: str,
    *,
    client: AuthenticatedClient,
) -> DeliveryOut | Problem | None:
    """Send an event to the endpoint (again), now, with the event's one webhook-id

     Creates the event's delivery to the endpoint, or re-arms the existing one with a fresh retry
    schedule. The event must be one the endpoint may be sent: of a type it subscribed to, and one its
    account may see in the feed (public events and the account's own; admins all), older than the
    endpoint or not. Any other event is `event_not_found`.

    Args:
        endpoint_id (str): The webhook endpoint's id (a UUID).
        event_id (str): The event's id: `id` in the feed, `event_id` of a delivery.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        DeliveryOut | Problem
    """

    return (
        await asyncio_detailed(
            endpoint_id=endpoint_id,
            event_id=event_id,
            client=client,
        )
    ).parsed
