"""Installed versions are at or above the releases that fixed the advisories in security.md §3.2
(pip-audit cannot reach its advisory service from these machines, so this reads what is installed)."""

from __future__ import annotations

from importlib.metadata import version

import pytest

MINIMUM = {
    "flask": (3, 1, 3),  # session cookie Vary / CVE-2026-27205, CVE-2023-30861
    "werkzeug": (3, 0, 6),  # CVE-2024-49767 multipart memory, CVE-2024-34069 debugger, CVE-2023-46136
    "jinja2": (3, 1, 6),  # sandbox breakouts fixed in 3.1.x
    "bleach": (6, 0, 0),
}


def _parts(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")[:3] if p.isdigit())


@pytest.mark.parametrize("package,minimum", sorted(MINIMUM.items()))
def test_fixed_releases_are_installed(package: str, minimum: tuple[int, ...]) -> None:
    assert _parts(version(package)) >= minimum, f"{package} {version(package)} is older than the fixed release"
