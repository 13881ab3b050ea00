"""Where kiosk's log goes: a rotating file, never the screen.

The station owns the terminal, so a log line or a Python warning on stderr would be
drawn over the screen. ``setup`` sends the root logger to one rotating file in
``$KIOSK_LOG_DIR`` (else the user's log directory, ``~/.local/state/kiosk/log``),
routes ``warnings`` there too, and stops ``logging`` from printing its own errors
(a full disk) to stderr. When the directory cannot be made, log records are
dropped rather than printed.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

LOG_DIR_ENV = "KIOSK_LOG_DIR"
LOG_FILE = "kiosk.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"


def log_dir() -> Path:
    """``$KIOSK_LOG_DIR``, else the user's log directory."""
    configured = os.environ.get(LOG_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_log_path

    return user_log_path("kiosk")


class _KioskFileHandler(logging.handlers.RotatingFileHandler):
    """The one handler ``setup`` installs (found again by its class, so setup runs once)."""


def setup(level: int = logging.INFO) -> Path | None:
    """Log to the rotating file; return its path, or None when no log can be written.

    Idempotent: a second call (tests call ``main`` many times) changes nothing.
    """
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, _KioskFileHandler):
            return Path(handler.baseFilename)
    logging.raiseExceptions = False  # a failing log write is never printed on the screen
    logging.captureWarnings(True)  # warnings.warn goes to the log file, not to stderr
    for handler in list(root.handlers):  # e.g. a library's basicConfig: never the terminal
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            root.removeHandler(handler)
    path = log_dir() / LOG_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _KioskFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
    except OSError:
        root.addHandler(logging.NullHandler())  # not the last-resort handler, which prints to stderr
        return None
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    logging.getLogger("kiosk").setLevel(level)
    return path
