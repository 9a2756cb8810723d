"""Errors that `ntm-tune` reports as one message instead of a traceback."""


class UsageError(Exception):
    """Bad input that the user can fix; printed as one message, exit status 2."""
