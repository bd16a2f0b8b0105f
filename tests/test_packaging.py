"""The package as an installed user sees it: typed, and visible to type checkers.

The README installs the checkout with ``--config-settings editable_mode=compat``:
a plain path line in site-packages, which mypy and pyright read. The default
editable install of setuptools uses an import hook instead; the interpreter
follows it, type checkers do not, and ``import twiliorm`` would be "missing
library stubs or py.typed marker" in users' projects.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import twiliorm

USER_CODE = """\
import twiliorm
from twiliorm import Message

def recent(client: twiliorm.Client) -> list[str | None]:
    return [m.sid for m in Message.objects.using(client).filter(to="+15558675310")[:5]]

reveal_type(Message.objects.filter(to="+15558675310"))
"""


def test_the_package_is_marked_typed() -> None:
    assert (Path(twiliorm.__file__).parent / "py.typed").is_file()


def test_mypy_finds_the_installed_package_from_outside_the_checkout(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(USER_CODE)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MYPYPATH")}
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "app.py"],
        cwd=tmp_path,  # not the checkout: only the installation can make twiliorm visible
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "QuerySet[twiliorm.models.messages.Message]" in done.stdout, done.stdout
    assert done.returncode == 0, done.stdout
