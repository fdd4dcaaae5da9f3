"""Errors that name the bad input; the CLI prints them as one line, without a traceback."""


class IfsimError(Exception):
    """Base class for errors caused by the user's input or environment."""


class ParameterError(IfsimError, ValueError):
    """A parameter value, name or type is not allowed."""


class ScenarioError(IfsimError):
    """A scenario file cannot be found or parsed."""


class LedgerError(Exception):
    """A transfer that would break the ledger's rules (a bug, not bad input)."""


class InsufficientFundsError(LedgerError):
    """A transfer would leave an internal account below zero."""


class ConservationError(LedgerError):
    """Money was created or destroyed outside the source and sink accounts."""
