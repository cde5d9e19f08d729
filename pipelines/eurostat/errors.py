"""The one error a Eurostat download or snapshot raises: what went wrong, where, and what was expected."""


class SnapshotError(Exception):
    """A download or snapshot that cannot be used; the previous snapshot stays in use."""
