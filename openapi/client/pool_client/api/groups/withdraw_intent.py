from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.intent_out import IntentOut
from ...models.problem import Problem
from ...types import Response


def _get_kwargs(
    intent_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/intents/{intent_id}/withdraw".format(
            intent_id=quote(str(intent_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> IntentOut | Problem | None:
    if response.status_code == 200:
        response_200 = IntentOut.from_dict(response.json())

        return response_200

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


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[IntentOut | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    intent_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[IntentOut | Problem]:
    """Withdraw your intent while its group is open (repeating it is harmless)

    Args:
        intent_id (str): The intent's id (a UUID).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[IntentOut | Problem]
    """

    kwargs = _get_kwargs(
        intent_id=intent_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    intent_id: str,
    *,
    client: AuthenticatedClient,
) -> IntentOut | Problem | None:
    """Withdraw your intent while its group is open (repeating it is harmless)

    Args:
        intent_id (str): The intent's id (a UUID).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        IntentOut | Problem
    """

    return sync_detailed(
        intent_id=intent_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    intent_id: str,
    *,
    client: AuthenticatedClient,
) -> Response[IntentOut | Problem]:
    """Withdraw your intent while its group is open (repeating it is harmless)

    Args:
        intent_id (str): The intent's id (a UUID).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[IntentOut | Problem]
    """

    kwargs = _get_kwargs(
        intent_id=intent_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    intent_id: str,
    *,
    client: AuthenticatedClient,
) -> IntentOut | Problem | None:
    """Withdraw your intent while its group is open (repeating it is harmless)

    Args:
        intent_id (str): The intent's id (a UUID).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        IntentOut | Problem
    """

    return (
        await asyncio_detailed(
            intent_id=intent_id,
            client=client,
        )
    ).parsed
