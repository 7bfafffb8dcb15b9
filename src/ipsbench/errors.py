"""Errors meant for the person at the terminal."""


class UserError(Exception):
    """A mistake in the user's input or environment; the CLI prints it as one line, exit 2."""
