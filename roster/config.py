"""Where dutyflow keeps its state, read from the environment once per call (cheap, testable)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_LOCALE = "zh-CN"
SUPPORTED_LOCALES = ("zh-CN", "en")


def dutyflow_home() -> Path:
    """``$DUTYFLOW_HOME`` or ``./.dutyflow``; created 0700 on first use (it holds the database and the
    signing keys: no other local user may read it)."""
    home = Path(os.environ.get("DUTYFLOW_HOME", ".dutyflow")).expanduser()
    if not home.is_dir():
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(home, 0o700)  # mkdir's mode is masked by the umask
    return home


def database_url() -> str:
    """``$DUTYFLOW_DATABASE_URL`` or a SQLite file under the home directory."""
    url = os.environ.get("DUTYFLOW_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{(dutyflow_home() / 'dutyflow.db').resolve()}"
