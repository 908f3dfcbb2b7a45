"""The installed crmkit version, for the facade's ``__version__`` and saved files."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def crmkit_version() -> str:
    """Return the installed distribution's version, or ``"0+unknown"`` from a source tree.

    Examples
    --------
    >>> isinstance(crmkit_version(), str)
    True
    """
    try:
        return version("crmkit")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"
