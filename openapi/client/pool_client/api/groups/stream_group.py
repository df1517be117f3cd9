from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.stream_group_response_200 import StreamGroupResponse200
from ...types import Response


def _get_kwargs(
    group_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/groups/{group_id}/stream".format(
            group_id=quote(str(group_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | StreamGroupResponse200 | None:
    if response.status_code == 200:
        response_200 = StreamGroupResponse200.from_dict(response.text)

        return response_200

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | StreamGroupResponse200]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    group_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Problem | StreamGroupResponse200]:
    """Follow one group live: Server-Sent Events of its public state (no key needed)

     A `text/event-stream`. An event `group` carries the group's live JSON (the fields of `GET
    /v1/groups/{group_id}` without `is_owner`) at connect and whenever the group changes (its `id:` is
    the group's version); a `: heartbeat` comment follows every 15 s of quiet. Once the group is no
    longer `open` its final state is sent and the stream ends. The server also ends a stream after 10
    minutes; reconnect (an `EventSource` does so by itself) and you get the current state. Streams are
    capped per client address (429 `too_many_streams`) and per server process (503 `server_busy`);
    connecting counts against the address's rate budget (429 `rate_limited`).

    Args:
        group_id (str): The group's id (a UUID).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | StreamGroupResponse200]
    """

    kwargs = _get_kwargs(
        group_id=group_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    group_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Problem | StreamGroupResponse200 | None:
    """Follow one group live: Server-Sent Events of its public state (no key needed)

     A `text/event-stream`. An event `group` carries the group's live JSON (the fields of `GET
    /v1/groups/{group_id}` without `is_owner`) at connect and whenever the group changes (its `id:` is
    the group's version); a `: heartbeat` comment follows every 15 s of quiet. Once the group is no
    longer `open` its final state is sent and the stream ends. The server also ends a stream after 10
    minutes; reconnect (an `EventSource` does so by itself) and you get the current state. Streams are
    capped per client address (429 `too_many_streams`) and per server process (503 `server_busy`);
    connecting counts against the address's rate budget (429 `rate_limited`).

    Args:
        group_id (str): The group's id (a UUID).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | StreamGroupResponse200
    """

    return sync_detailed(
        group_id=group_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    group_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Problem | StreamGroupResponse200]:
    """Follow one group live: Server-Sent Events of its public state (no key needed)

     A `text/event-stream`. An event `group` carries the group's live JSON (the fields of `GET
    /v1/groups/{group_id}` without `is_owner`) at connect and whenever the group changes (its `id:` is
    the group's version); a `: heartbeat` comment follows every 15 s of quiet. Once the group is no
    longer `open` its final state is sent and the stream ends. The server also ends a stream after 10
    minutes; reconnect (an `EventSource` does so by itself) and you get the current state. Streams are
    capped per client address (429 `too_many_streams`) and per server process (503 `server_busy`);
    connecting counts against the address's rate budget (429 `rate_limited`).

    Args:
        group_id (str): The group's id (a UUID).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | StreamGroupResponse200]
    """

    kwargs = _get_kwargs(
        group_id=group_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    group_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Problem | StreamGroupResponse200 | None:
    """Follow one group live: Server-Sent Events of its public state (no key needed)

     A `text/event-stream`. An event `group` carries the group's live JSON (the fields of `GET
    /v1/groups/{group_id}` without `is_owner`) at connect and whenever the group changes (its `id:` is
    the group's version); a `: heartbeat` comment follows every 15 s of quiet. Once the group is no
    longer `open` its final state is sent and the stream ends. The server also ends a stream after 10
    minutes; reconnect (an `EventSource` does so by itself) and you get the current state. Streams are
    capped per client address (429 `too_many_streams`) and per server process (503 `server_busy`);
    connecting counts against the address's rate budget (429 `rate_limited`).

    Args:
        group_id (str): The group's id (a UUID).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | StreamGroupResponse200
    """

    return (
        await asyncio_detailed(
            group_id=group_id,
            client=client,
        )
    ).parsed
