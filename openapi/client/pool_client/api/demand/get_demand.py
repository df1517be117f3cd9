from http import HTTPStatus
from typing import Any, cast

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.demand_page import DemandPage
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    category: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    if_none_match: None | str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_none_match, Unset):
        headers["if-none-match"] = if_none_match

    params: dict[str, Any] = {}

    json_category: None | str | Unset
    if isinstance(category, Unset):
        json_category = UNSET
    else:
        json_category = category
    params["category"] = json_category

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
        "url": "/v1/demand",
        "params": params,
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Any | DemandPage | Problem | None:
    if response.status_code == 200:
        response_200 = DemandPage.from_dict(response.json())

        return response_200

    if response.status_code == 304:
        response_304 = cast(Any, None)
        return response_304

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

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
) -> Response[Any | DemandPage | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    category: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    if_none_match: None | str | Unset = UNSET,
) -> Response[Any | DemandPage | Problem]:
    """Open demand you may bid on or own, with demand curves (ETag: 304 when unchanged)

     The open groups a manufacturer may bid on (requests) or owns (campaigns), newest first (an admin
    sees every open group), each with its pooled volume, participants, deadline and demand curve. Cheap
    to poll: every 200 and 304 carries an `ETag` and an `X-Poll-Interval`. Send the `ETag` back as it
    came in `If-None-Match` (one tag or several, comma-separated): while nothing on the page changed,
    the answer is a 304 without a body. Poll no more often than every `X-Poll-Interval` seconds.

    Args:
        category (None | str | Unset): Only this category.
        limit (int | Unset): Page size, 1 to 200. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page.
        if_none_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | DemandPage | Problem]
    """

    kwargs = _get_kwargs(
        category=category,
        limit=limit,
        cursor=cursor,
        if_none_match=if_none_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    category: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    if_none_match: None | str | Unset = UNSET,
) -> Any | DemandPage | Problem | None:
    """Open demand you may bid on or own, with demand curves (ETag: 304 when unchanged)

     The open groups a manufacturer may bid on (requests) or owns (campaigns), newest first (an admin
    sees every open group), each with its pooled volume, participants, deadline and demand curve. Cheap
    to poll: every 200 and 304 carries an `ETag` and an `X-Poll-Interval`. Send the `ETag` back as it
    came in `If-None-Match` (one tag or several, comma-separated): while nothing on the page changed,
    the answer is a 304 without a body. Poll no more often than every `X-Poll-Interval` seconds.

    Args:
        category (None | str | Unset): Only this category.
        limit (int | Unset): Page size, 1 to 200. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page.
        if_none_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | DemandPage | Problem
    """

    return sync_detailed(
        client=client,
        category=category,
        limit=limit,
        cursor=cursor,
        if_none_match=if_none_match,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    category: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    if_none_match: None | str | Unset = UNSET,
) -> Response[Any | DemandPage | Problem]:
    """Open demand you may bid on or own, with demand curves (ETag: 304 when unchanged)

     The open groups a manufacturer may bid on (requests) or owns (campaigns), newest first (an admin
    sees every open group), each with its pooled volume, participants, deadline and demand curve. Cheap
    to poll: every 200 and 304 carries an `ETag` and an `X-Poll-Interval`. Send the `ETag` back as it
    came in `If-None-Match` (one tag or several, comma-separated): while nothing on the page changed,
    the answer is a 304 without a body. Poll no more often than every `X-Poll-Interval` seconds.

    Args:
        category (None | str | Unset): Only this category.
        limit (int | Unset): Page size, 1 to 200. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page.
        if_none_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Any | DemandPage | Problem]
    """

    kwargs = _get_kwargs(
        category=category,
        limit=limit,
        cursor=cursor,
        if_none_match=if_none_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    category: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
    if_none_match: None | str | Unset = UNSET,
) -> Any | DemandPage | Problem | None:
    """Open demand you may bid on or own, with demand curves (ETag: 304 when unchanged)

     The open groups a manufacturer may bid on (requests) or owns (campaigns), newest first (an admin
    sees every open group), each with its pooled volume, participants, deadline and demand curve. Cheap
    to poll: every 200 and 304 carries an `ETag` and an `X-Poll-Interval`. Send the `ETag` back as it
    came in `If-None-Match` (one tag or several, comma-separated): while nothing on the page changed,
    the answer is a 304 without a body. Poll no more often than every `X-Poll-Interval` seconds.

    Args:
        category (None | str | Unset): Only this category.
        limit (int | Unset): Page size, 1 to 200. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page.
        if_none_match (None | str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Any | DemandPage | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            category=category,
            limit=limit,
            cursor=cursor,
            if_none_match=if_none_match,
        )
    ).parsed
