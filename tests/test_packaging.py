"""What `pip install flask-copilot` gets: the wheel holds the license, the built widget
and the type marker; `flask_copilot.testing` names its extra when it is missing."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.servers import ROOT


def source_tree(into: Path) -> Path:
    """The repository's files (tracked and new, not ignored) copied to ``into``: the
    build writes build/ and *.egg-info next to setup.py, never into the repository."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return into


def test_the_wheel_holds_the_license_and_the_widget(tmp_path: Path) -> None:
    tree = source_tree(tmp_path / "src")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), "."],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = tmp_path.glob("flask_copilot-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (license_name,) = [n for n in names if ".dist-info/" in n and n.endswith("/LICENSE")]
        license_text = archive.read(license_name).decode()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    assert license_text == (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License\n\nCopyright (c) 2026 flask-copilot contributors")
    assert b"MIT" in metadata
    for packaged in (
        "flask_copilot/py.typed",
        "flask_copilot/static/copilot/index.js",
        "flask_copilot/static/copilot/index.js.gz",
        "flask_copilot/static/copilot/THIRD_PARTY_LICENSES.txt",
    ):
        assert packaged in names


def test_the_testing_module_names_its_extra_when_the_client_is_missing() -> None:
    # As in a venv with `pip install flask-copilot` only: no websocket-client.
    script = "import sys; sys.modules['websocket'] = None; import flask_copilot.testing"
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert run.returncode == 1
    last_line = run.stderr.strip().splitlines()[-1]
    assert last_line.startswith(
        "ImportError: flask_copilot.testing needs the [testing] extra: "
        "pip install 'flask-copilot[testing]'"
    )
