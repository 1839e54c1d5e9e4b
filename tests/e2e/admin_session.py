"""Sign in to a running server's admin with httpx, as a browser would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.e2e.servers import ADMIN_PASSWORD, Server

LOGIN = "/system/admin/login/"


@contextmanager
def signed_in(
    server: Server, username: str = "admin", password: str = ADMIN_PASSWORD
) -> Iterator[httpx.Client]:
    """An httpx client holding an admin session on `server`, for the block."""
    with server.client(follow_redirects=False) as client:
        _sign_in(client, server, username, password)
        yield client


def _sign_in(client, server, username, password) -> None:
    form = client.get(LOGIN)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    reply = client.post(
        LOGIN,
        data={
            "csrfmiddlewaretoken": token,
            "username": username,
            "password": password,
            "next": "/system/admin/",
        },
        headers={"Referer": server.url + LOGIN, "Origin": server.url},
    )
    assert reply.status_code == 302, reply.text[:500]


def cookie_header(client: httpx.Client) -> dict:
    """The Cookie header of the client's session, for another client (tests.e2e.sse)."""
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}


def script_pk(client: httpx.Client, name: str) -> int:
    """The database id of the default tenant's script `name`, from the admin's list."""
    page = client.get("/system/admin/scripts_app/script/", params={"q": name})
    ids = re.findall(
        rf'href="/system/admin/scripts_app/script/(\d+)/change/[^"]*">{re.escape(name)}<',
        page.text,
    )
    assert ids, f"no script {name} in the admin's list"
    return int(ids[0])
