"""Programs and fonts from Debian packages that tests need, checked up front.

A test that needs one calls ``require_program`` or ``require_font`` before anything else: when it
is missing the test fails with the same install line ``bin/system-packages`` prints (never a skip
that hides it, never a wrong assertion further down). The package must be in that script's list.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

import pytest

SYSTEM_PACKAGES = Path(__file__).resolve().parent.parent / "bin" / "system-packages"


@functools.cache
def install_message(package: str) -> str:
    """The script's own wording for installing ``package`` (it refuses a package not on its list)."""
    result = subprocess.run(
        [str(SYSTEM_PACKAGES), "--install-line", package], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise AssertionError(result.stderr.strip() or f"bin/system-packages --install-line {package} failed")
    return result.stdout.strip()


def require_program(program: str, *, package: str) -> str:
    """The path of ``program`` on PATH; the test fails with the install line when it is not there."""
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is not installed.\n{install_message(package)}", pytrace=False)
    return path


def require_font(family: str, *, package: str) -> None:
    """Fail the test with the install line unless fontconfig (what WeasyPrint uses) knows ``family``."""
    fc_list = require_program("fc-list", package="fontconfig")
    result = subprocess.run([fc_list, f":family={family}", "family"], capture_output=True, text=True, check=True)
    if not result.stdout.strip():
        pytest.fail(f"The font {family!r} is not installed.\n{install_message(package)}", pytrace=False)


def require_chromium() -> str:
    """Debian's Chromium, which the browser tests drive with Playwright (a browser is never downloaded)."""
    return require_program("chromium", package="chromium")


def require_report_fonts() -> None:
    """The fonts the PDF report names first: without them Arabic falls back to DejaVu and copies wrong."""
    require_font("Noto Sans", package="fonts-noto-core")
    require_font("Noto Sans Arabic", package="fonts-noto-core")
