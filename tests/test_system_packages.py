"""A fresh machine: ``bin/system-packages`` installs what is missing or says the line to run, and
tests that need a program or font fail with that same line instead of a wrong assertion.

The script's decisions are driven here through stand-ins for ``dpkg-query``, ``apt-get``, ``id``
and ``sudo`` first on PATH (so nothing is installed or removed on this machine); the real install
was checked on a fresh clone with fonts-noto-core removed (README, "The two commands").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.system_requirements import SYSTEM_PACKAGES, install_message, require_font, require_program

ROOT = SYSTEM_PACKAGES.parent.parent

FAKE_DPKG_QUERY = """#!/bin/sh
# dpkg-query -W -f=... PACKAGE: "installed" unless the package is listed in $STATE/missing.
package=$3
if grep -qx "$package" "$STATE/missing"; then
  grep -qx "$package" "$STATE/installed" 2>/dev/null && { printf installed; exit 0; }
  printf '%s' "${REMOVED_STATUS:-not-installed}"; exit 0
fi
printf installed
"""
FAKE_APT_GET = """#!/bin/sh
echo "apt-get $*" >> "$STATE/apt-calls"
case " $* " in *" install "*)
  for word in "$@"; do case "$word" in -*|install) ;; *) echo "$word" >> "$STATE/installed";; esac; done;;
esac
"""


def run_script(
    tmp_path: Path, *args: str, uid: int, sudo_works: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    for name, text in {
        "dpkg-query": FAKE_DPKG_QUERY,
        "apt-get": FAKE_APT_GET,
        "id": f"#!/bin/sh\necho {uid}\n",
        "sudo": f'#!/bin/sh\n[ "$1" = -n ] && shift\n{"" if sudo_works else "exit 1"}\n[ "$1" = true ] && exit 0\nexec "$@"\n',
    }.items():
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    return subprocess.run(
        [str(SYSTEM_PACKAGES), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "STATE": str(tmp_path), **env},
        check=False,
    )


def apt_calls(tmp_path: Path) -> list[str]:
    calls = tmp_path / "apt-calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_the_list_names_every_package_the_machine_needs() -> None:
    listed = subprocess.run([str(SYSTEM_PACKAGES), "--list"], capture_output=True, text=True, check=True).stdout.split()
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core"):
        assert package in listed
    for package in ("fonts-noto-core", "chromium", "poppler-utils", "wrk", "nginx-light", "fontconfig"):
        assert package in listed


def test_nothing_missing_installs_nothing_and_runs_no_update(tmp_path: Path) -> None:
    (tmp_path / "missing").write_text("")
    result = run_script(tmp_path, uid=0)
    assert result.returncode == 0, result.stderr
    assert apt_calls(tmp_path) == []


def test_as_root_a_missing_package_is_installed_after_an_update(tmp_path: Path) -> None:
    (tmp_path / "missing").write_text("fonts-noto-core\nwrk\n")
    result = run_script(tmp_path, uid=0)
    assert result.returncode == 0, result.stderr
    calls = apt_calls(tmp_path)
    assert len(calls) == 2
    assert calls[0].endswith(" update -qq")
    assert calls[1].endswith("install -y -qq --no-install-recommends fonts-noto-core wrk")


def test_removed_package_whose_config_files_remain_counts_as_missing(tmp_path: Path) -> None:
    # `apt-get remove` leaves conffiles behind and `dpkg -s` still succeeds for such a package.
    (tmp_path / "missing").write_text("fonts-noto-core\n")
    result = run_script(tmp_path, "--check", uid=0, REMOVED_STATUS="config-files")
    assert result.returncode == 1
    assert "fonts-noto-core" in result.stderr


def test_passwordless_sudo_is_used_when_not_root(tmp_path: Path) -> None:
    (tmp_path / "missing").write_text("poppler-utils\n")
    result = run_script(tmp_path, uid=1000, sudo_works=True)
    assert result.returncode == 0, result.stderr
    assert apt_calls(tmp_path)[-1].endswith("--no-install-recommends poppler-utils")


def test_without_root_or_sudo_it_stops_with_the_line_to_run(tmp_path: Path) -> None:
    (tmp_path / "missing").write_text("fonts-noto-core\nchromium\n")
    result = run_script(tmp_path, uid=1000)
    assert result.returncode == 1
    assert apt_calls(tmp_path) == []
    assert result.stderr == (
        "Missing system packages: fonts-noto-core chromium\n"
        "Install them with:\n"
        "  sudo apt-get update && sudo apt-get install -y --no-install-recommends fonts-noto-core chromium\n"
    )


def test_check_only_reports(tmp_path: Path) -> None:
    (tmp_path / "missing").write_text("wrk\n")
    result = run_script(tmp_path, "--check", uid=0)
    assert result.returncode == 1
    assert apt_calls(tmp_path) == []
    assert "apt-get install -y --no-install-recommends wrk" in result.stderr


def test_a_package_off_the_list_is_refused() -> None:
    result = subprocess.run(
        [str(SYSTEM_PACKAGES), "--install-line", "cowsay"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "cowsay is not in bin/system-packages" in result.stderr


def test_require_program_fails_with_the_scripts_install_line() -> None:
    with pytest.raises(pytest.fail.Exception) as failure:
        require_program("pdftotext-not-here", package="poppler-utils")
    assert str(failure.value) == f"pdftotext-not-here is not installed.\n{install_message('poppler-utils')}"
    assert "apt-get install -y --no-install-recommends poppler-utils" in str(failure.value)


@pytest.fixture
def fonts_without_noto(tmp_path: Path) -> Path:
    """A fontconfig set-up that sees only DejaVu: the machine as if fonts-noto-core were missing."""
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        f"  <dir>/usr/share/fonts/truetype/dejavu</dir>\n  <cachedir>{tmp_path / 'cache'}</cachedir>\n"
        "</fontconfig>\n"
    )
    return config


def test_require_font_sees_what_fontconfig_sees(fonts_without_noto: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_font("Noto Sans Arabic", package="fonts-noto-core")
    monkeypatch.setenv("FONTCONFIG_FILE", str(fonts_without_noto))
    with pytest.raises(pytest.fail.Exception) as failure:
        require_font("Noto Sans Arabic", package="fonts-noto-core")
    assert str(failure.value) == f"The font 'Noto Sans Arabic' is not installed.\n{install_message('fonts-noto-core')}"


def test_arabic_pdf_test_fails_with_the_install_line_when_the_font_is_missing(fonts_without_noto: Path) -> None:
    test = "tests/test_jobs_reports.py::test_hvac_pdf_pages_text_images_and_arabic"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "FONTCONFIG_FILE": str(fonts_without_noto)},
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "The font 'Noto Sans' is not installed." in result.stdout
    assert "apt-get install -y --no-install-recommends fonts-noto-core" in result.stdout
    assert "AssertionError" not in result.stdout
