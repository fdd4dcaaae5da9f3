"""Errors of the results package (kept light: the CLI imports it before anything heavy)."""


class StoreError(Exception):
    """The run store could not be opened, read or written.

    The message is one line naming the database (password masked) or path, and the cause,
    fit to show a user as it is.
    """
