"""Serving a chain as a JSON-RPC endpoint over HTTP, on aiohttp's server.

aiohttp keeps HTTP/1.1 connections alive (werkzeug's development server closes every
one) and shuts down gracefully. Each served chain gets its own port, its own event
loop thread, and a few worker threads that run the requests: JSON-RPC work is
synchronous and holds the chain's lock, so it never runs on the event loop.
``stop()`` (also on leaving a ``with`` block, so on Ctrl-C) stops accepting, lets
the requests in flight finish, then closes every connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Coroutine, Iterable, TypeVar

from aiohttp import web

from chains.chain import Chain
from chains.rpc.errors import INTERNAL_ERROR, INVALID_REQUEST, RpcError, RpcServerError
from chains.rpc.jsonrpc import Call, error_response, handle_body
from chains.rpc.locks import chain_lock
from chains.rpc.methods import ChainMethods

MAX_BODY_BYTES = 16 * 1024 * 1024
DRAIN_SECONDS = 5.0
WORKERS = 4
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
}

log = logging.getLogger("chains.rpc")
T = TypeVar("T")


def _json(document: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps(document, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json", headers={**CORS_HEADERS, **(headers or {})})


def _error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return _json(error_response(None, RpcError(code, message)), status=status, headers=headers)


def answer(body: bytes, call: Call) -> tuple[int, bytes | None]:
    """HTTP status and body for a request body (``None``: only notifications, nothing to say)."""
    try:
        document = handle_body(body, call)
        if document is None:
            return 204, None
        return 200, json.dumps(document, separators=(",", ":")).encode()
    except Exception:  # noqa: BLE001 - a failure of the envelope itself still gets a JSON-RPC answer
        log.exception("request failed")
        error = error_response(None, RpcError(INTERNAL_ERROR, "internal error"))
        return 500, json.dumps(error).encode()


def _bind(host: str, port: int) -> socket.socket:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise RpcServerError(f"a port must be a whole number from 0 to 65535, got {port!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise RpcServerError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


class ChainServer:
    """One chain served over HTTP from background threads (``with`` stops it on the way out)."""

    def __init__(self, chain: Chain, host: str = "127.0.0.1", port: int = 0, lock: threading.RLock | None = None) -> None:
        self.chain = chain
        self.host = host
        self.lock = chain_lock(chain) if lock is None else lock
        self._call = ChainMethods(chain, self.lock)
        listener = _bind(host, port)
        self.port: int = listener.getsockname()[1]
        self._stopped = False
        self._executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=f"rpc-{chain.name}")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"rpc-{chain.name}-loop", daemon=True)
        self._thread.start()
        try:
            self._runner = self._run(self._start(listener))
        except BaseException:
            listener.close()
            self._close_loop()
            raise

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _start(self, listener: socket.socket) -> web.AppRunner:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_route("*", "/{path:.*}", self._handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=DRAIN_SECONDS)
        await runner.setup()
        await web.SockSite(runner, listener).start()
        return runner

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method == "OPTIONS":
            return web.Response(status=204, headers=CORS_HEADERS)
        if request.method != "POST":
            return _error(405, INVALID_REQUEST, "invalid request: send JSON-RPC requests with POST", {"Allow": "POST, OPTIONS"})
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, INVALID_REQUEST, f"invalid request: the body is larger than {MAX_BODY_BYTES} bytes")
        status, payload = await self._loop.run_in_executor(self._executor, answer, body, self._call)
        if payload is None:
            return web.Response(status=status, headers=CORS_HEADERS)
        return web.Response(body=payload, status=status, content_type="application/json", headers=CORS_HEADERS)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Stop accepting, let requests in flight finish, close every connection; safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self._run(self._runner.cleanup())
        finally:
            self._close_loop()

    def _close_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
        self._executor.shutdown(wait=True)

    def __enter__(self) -> "ChainServer":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ChainServer({self.chain.name!r}, {self.url})"


class ChainServers(list[ChainServer]):
    """The servers of several chains: a list, which also stops them all (and is a context manager)."""

    def stop(self) -> None:
        for server in self:
            server.stop()

    def __enter__(self) -> "ChainServers":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()


def serve_chain(chain: Chain, host: str = "127.0.0.1", port: int = 0, lock: threading.RLock | None = None) -> ChainServer:
    """Serve ``chain`` on ``host:port`` (port 0 picks a free one); every request holds ``lock``.

    Without a lock the chain's shared one from :func:`chain_lock` is used, so other
    threads can take it too.
    """
    return ChainServer(chain, host, port, lock)


def serve_chains(chains: Iterable[Chain], host: str = "127.0.0.1", first_port: int = 0) -> ChainServers:
    """Serve every chain of a ChainSet, on ``first_port``, ``first_port + 1``, ... (0: free ports)."""
    servers = ChainServers()
    try:
        for offset, chain in enumerate(chains):
            servers.append(serve_chain(chain, host, first_port + offset if first_port else 0))
    except BaseException:
        servers.stop()
        raise
    return servers
