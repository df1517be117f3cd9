from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.page_order_line_out import PageOrderLineOut
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    order_id: str,
    *,
    limit: int | Unset = 500,
    cursor: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["limit"] = limit

    json_cursor: None | str | Unset
    if isinstance(cursor, Unset):
        json_cursor = UNSET
    else:
        json_cursor = cursor
    params["cursor"] = json_cursor

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/v1/orders/{order_id}/lines".format(
            order_id=quote(str(order_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> PageOrderLineOut | Problem | None:
    if response.status_code == 200:
        response_200 = PageOrderLineOut.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

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
) -> Response[PageOrderLineOut | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    order_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 500,
    cursor: None | str | Unset = UNSET,
) -> Response[PageOrderLineOut | Problem]:
    """The order's lines: one per confirmed intent, consumers as opaque references

    Args:
        order_id (str): The order's id (a UUID).
        limit (int | Unset): Page size, 1 to 1000. Default: 500.
        cursor (None | str | Unset): `next_cursor` of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageOrderLineOut | Problem]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    order_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 500,
    cursor: None | str | Unset = UNSET,
) -> PageOrderLineOut | Problem | None:
    """The order's lines: one per confirmed intent, consumers as opaque references

    Args:
        order_id (str): The order's id (a UUID).
        limit (int | Unset): Page size, 1 to 1000. Default: 500.
        cursor (None | str | Unset): `next_cursor` of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageOrderLineOut | Problem
    """

    return sync_detailed(
        order_id=order_id,
        client=client,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    order_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 500,
    cursor: None | str | Unset = UNSET,
) -> Response[PageOrderLineOut | Problem]:
    """The order's lines: one per confirmed intent, consumers as opaque references

    Args:
        order_id (str): The order's id (a UUID).
        limit (int | Unset): Page size, 1 to 1000. Default: 500.
        cursor (None | str | Unset): `next_cursor` of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageOrderLineOut | Problem]
    """

    kwargs = _get_kwargs(
        order_id=order_id,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    order_id: str,
    *,
    client: AuthenticatedClient,
    limit: int | Unset = 500,
    cursor: None | str | Unset = UNSET,
) -> PageOrderLineOut | Problem | None:
    """The order's lines: one per confirmed intent, consumers as opaque references

    Args:
        order_id (str): The order's id (a UUID).
        limit (int | Unset): Page size, 1 to 1000. Default: 500.
        cursor (None | str | Unset): `next_cursor` of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageOrderLineOut | Problem
    """

    return (
        await asyncio_detailed(
            order_id=order_id,
            client=client,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
