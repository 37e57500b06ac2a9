"""The server's own routes never answer with a raw error: a full disk or a database that
fails while a session is created sends the browser back to «Ingresar» with a Spanish notice."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from starlette.requests import Request

import servidor


def request(method: str, path: str, body: bytes = b"", cookies: str = "") -> Request:
    headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
    if body:
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ]
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": headers,
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 5000),
    }

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


def run(coroutine):
    """Run a route handler on its own event loop (the browser tests keep one running here)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(autouse=True)
def disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args, **_kwargs):
        raise OSError(28, "database or disk is full")

    monkeypatch.setattr(servidor, "_check_login", lambda *_args: 1)
    monkeypatch.setattr(servidor, "_start_session", fail)
    monkeypatch.setattr(servidor, "_take_pending", lambda _binding: 1)
    monkeypatch.setattr(servidor, "_revoke", fail)


def test_login_with_a_full_disk_goes_back_with_a_spanish_notice() -> None:
    body = urlencode({"login": "20100070970", "clave": "clave-segura-123"}).encode()
    answer = run(servidor.sesion(request("POST", "/sesion", body)))
    assert answer.status_code in (302, 303, 307)
    assert "error=servicio" in answer.headers["location"]


def test_registration_login_with_a_full_disk_goes_back_too() -> None:
    cookie = f"{servidor.BINDING_COOKIE}={'x' * 43}"
    answer = run(servidor.entrar(request("GET", "/sesion/entrar", cookies=cookie)))
    assert answer.status_code in (302, 303, 307)
    assert "error=servicio" in answer.headers["location"]


def test_logout_with_a_full_disk_still_deletes_the_cookie() -> None:
    token = "a" * 43
    cookie = f"{servidor.SESSION_COOKIE}={token}"
    answer = run(servidor.salir(request("GET", "/sesion/salir", cookies=cookie)))
    assert answer.status_code in (302, 303, 307)
    assert servidor.SESSION_COOKIE in answer.headers.get("set-cookie", "")
