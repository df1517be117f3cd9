from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.group_kind import GroupKind
from ...models.group_status import GroupStatus
from ...models.page_group_out import PageGroupOut
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    status: GroupStatus | None | Unset = UNSET,
    kind: GroupKind | None | Unset = UNSET,
    category: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_status: None | str | Unset
    if isinstance(status, Unset):
        json_status = UNSET
    elif isinstance(status, GroupStatus):
        json_status = status.value
    else:
        json_status = status
    params["status"] = json_status

    json_kind: None | str | Unset
    if isinstance(kind, Unset):
        json_kind = UNSET
    elif isinstance(kind, GroupKind):
        json_kind = kind.value
    else:
        json_kind = kind
    params["kind"] = json_kind

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
        "url": "/v1/groups",
        "params": params,
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> PageGroupOut | Problem | None:
    if response.status_code == 200:
        response_200 = PageGroupOut.from_dict(response.json())

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
) -> Response[PageGroupOut | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    status: GroupStatus | None | Unset = UNSET,
    kind: GroupKind | None | Unset = UNSET,
    category: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Response[PageGroupOut | Problem]:
    """Groups with their live pricing, newest first

    Args:
        status (GroupStatus | None | Unset): Only groups in this status.
        kind (GroupKind | None | Unset): campaign or request.
        category (None | str | Unset): Only this category.
        limit (int | Unset): Page size, 1 to 200. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageGroupOut | Problem]
    """

    kwargs = _get_kwargs(
        status=status,
        kind=kind,
        category=category,
        limit=limit,
        cursor=cursor,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient,
    status: GroupStatus | None | Unset = UNSET,
    kind: GroupKind | None | Unset = UNSET,
    category: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> PageGroupOut | Problem | None:
    """Groups with their live pricing, newest first

    Args:
        status (GroupStatus | None | Unset): Only groups in this status.
        kind (GroupKind | None | Unset): campaign or request.
        category (None | str | Unset): Only this category.
        limit (int | Unset): Page size, 1 to 200. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageGroupOut | Problem
    """

    return sync_detailed(
        client=client,
        status=status,
        kind=kind,
        category=category,
        limit=limit,
        cursor=cursor,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    status: GroupStatus | None | Unset = UNSET,
    kind: GroupKind | None | Unset = UNSET,
    category: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> Response[PageGroupOut | Problem]:
    """Groups with their live pricing, newest first

    Args:
        status (GroupStatus | None | Unset): Only groups in this status.
        kind (GroupKind | None | Unset): campaign or request.
        category (None | str | Unset): Only this category.
        limit (int | Unset): Page size, 1 to 200. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[PageGroupOut | Problem]
    """

    kwargs = _get_kwargs(
        status=status,
        kind=kind,
        category=category,
        limit=limit,
        cursor=cursor,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient,
    status: GroupStatus | None | Unset = UNSET,
    kind: GroupKind | None | Unset = UNSET,
    category: None | str | Unset = UNSET,
    limit: int | Unset = 50,
    cursor: None | str | Unset = UNSET,
) -> PageGroupOut | Problem | None:
    """Groups with their live pricing, newest first

    Args:
        status (GroupStatus | None | Unset): Only groups in this status.
        kind (GroupKind | None | Unset): campaign or request.
        category (None | str | Unset): Only this category.
        limit (int | Unset): Page size, 1 to 200. Default: 50.
        cursor (None | str | Unset): `next_cursor` of the previous page.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        PageGroupOut | Problem
    """

    return (
        await asyncio_detailed(
            client=client,
            status=status,
            kind=kind,
            category=category,
            limit=limit,
            cursor=cursor,
        )
    ).parsed
