"""A bare HTTP/1.1 client over one keep-alive socket: a yardstick that adds almost nothing.

No HTTP library, no event loop: the request is sent in one `sendall` and the answer is read until
its head and Content-Length bytes of body are in. Used to tell what a server and the machine add
to a round trip from what a load generator adds.
"""

from __future__ import annotations

import socket


class BareClientError(RuntimeError):
    pass


def connect(url: str, timeout_s: float = 10.0) -> socket.socket:
    """A TCP connection to `http://host:port` with Nagle off."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sock = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def post_request(url: str, path: str, body: bytes, content_type: str = "application/json") -> bytes:
    """The bytes of one POST, ready to send again and again on a keep-alive connection."""
    host = url.removeprefix("http://")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def exchange(sock: socket.socket, request: bytes) -> tuple[int, bytes]:
    """Send one request and read its whole answer: (HTTP status, body)."""
    sock.sendall(request)
    received = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            raise BareClientError("the server closed the connection")
        received += chunk
        head, sep, body = received.partition(b"\r\n\r\n")
        if not sep:
            continue
        lines = head.split(b"\r\n")
        length = next(
            (
                int(line.split(b":", 1)[1])
                for line in lines
                if line.lower().startswith(b"content-length:")
            ),
            None,
        )
        if length is None:
            raise BareClientError("the answer has no Content-Length")
        if len(body) >= length:
            return int(lines[0].split()[1]), body[:length]
