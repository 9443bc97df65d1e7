"""Errors a user or operator can act on: the CLI prints them as one line."""


class PortevoixError(Exception):
    """A mistake in input or set-up, explained in one sentence."""


class NotFound(PortevoixError):
    pass
