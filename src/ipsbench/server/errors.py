"""Errors the server answers with a status code and a JSON body naming the problem."""

from __future__ import annotations


class ClientError(Exception):
    """The client's mistake (4xx) or a state it must wait out (503); never a 500."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> ClientError:
    return ClientError(400, message)


def not_found(message: str) -> ClientError:
    return ClientError(404, message)
