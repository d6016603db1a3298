"""``minversion`` and ``required_plugins`` of ``[tool.zenrun]``, as pytest's ini keys.

A project that needs a newer zenrun, or a plugin, says so in its config file;
a run without them stops at once with a usage error (exit 4) naming what is
missing, instead of failing later in a way that does not say why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zenrun import __version__
from zenrun.errors import UsageError

# compiled on first use (re caches it): zenrun --help does not need it
_SPECIFIER = r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$"


def _release(version: str) -> tuple[int, ...]:
    """The numeric release of ``version`` (``1.2.3rc1`` -> ``(1, 2, 3)``), for the
    comparison when ``packaging`` is not installed (it is not a dependency of zenrun)."""
    parts = []
    for piece in version.strip().split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
        if digits.group() != piece:  # a pre-release or local tail: the release ends here
            break
    return tuple(parts)


def _older(version: str, than: str) -> bool:
    try:
        from packaging.version import Version

        return Version(version) < Version(than)
    except Exception:  # no packaging, or a version it cannot read: compare the release numbers
        return _release(version) < _release(than)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _satisfies(version: str, specifier: str) -> bool:
    """Whether ``version`` meets ``specifier`` (``>=1.0,<2``); without ``packaging``, only
    the name is checked (an installed plugin is taken to meet it)."""
    if not specifier:
        return True
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:
        return True
    try:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    except Exception:  # a specifier it cannot read is not met: listed as missing, as written
        return False


def check_minversion(minversion: object, inipath: object) -> None:
    """``minversion = "X"``: a usage error when zenrun is older than ``X`` (pytest's message)."""
    if minversion and _older(__version__, str(minversion)):
        raise UsageError(
            f"{inipath}: 'minversion' requires zenrun-{minversion}, actual zenrun-{__version__}'"
        )


def check_required_plugins(required: Iterable[str], installed: dict[str, str]) -> None:
    """``required_plugins = ["name>=1.0", ...]``: a usage error listing each requirement no
    installed plugin meets. ``installed`` maps a plugin's names (its entry point's and its
    distribution's, normalized) to its version. Listed in sorted order, as pytest's."""
    missing = []
    for requirement in sorted(required):
        match = re.match(_SPECIFIER, requirement)
        name, specifier = (match.group(1), match.group(2).strip()) if match else (requirement, "")
        version = installed.get(_normalized(name))
        if version is None or not _satisfies(version, specifier):
            missing.append(requirement)
    if missing:
        raise UsageError(f"Missing required plugins: {', '.join(missing)}")


def installed_plugins(dists: Iterable[tuple[str, object]]) -> dict[str, str]:
    """The names a requirement may use for each plugin loaded from an entry point (its
    entry point's name and its distribution's), with the distribution's version."""
    names: dict[str, str] = {}
    for entry_name, dist in dists:
        version = str(getattr(dist, "version", "") or "")
        names[_normalized(entry_name)] = version
        dist_name = getattr(dist, "name", None)
        if dist_name:
            names.setdefault(_normalized(str(dist_name)), version)
    return names
