"""Logs go to a rotating file, never to the screen (issue "running unattended").

Each case runs in a fresh interpreter, since logging is process-wide: whatever is
logged or warned, by kiosk or by a library, ends in ``$KIOSK_LOG_DIR/kiosk.log`` and
stderr stays empty, which is what keeps the full-screen station clean.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NOISE = """
import logging, warnings
logging.getLogger("kiosk.hardware.scanners").error("scanner reader failed")
logging.getLogger("escpos").warning("a library speaks up")
logging.basicConfig()  # what a library may call: it must not add a stderr handler now
logging.error("through the root logger")
warnings.warn("something is deprecated")
"""


def run(code: str, log_dir: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "KIOSK_LOG_DIR"} | {"KIOSK_LOG_DIR": str(log_dir), **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=environ, timeout=60)


def test_the_command_line_logs_to_the_file_before_any_handler_runs(tmp_path, sqlite_url):
    code = (
        "import sys\nfrom kiosk.model import api\n"
        "def noisy(self):\n" + "".join(f"    {line}\n" for line in NOISE.strip().splitlines()) + "    return {'serial_management': True}\n"
        "api.Ledger.settings = noisy\n"
        f"from kiosk.cli import main\nsys.exit(main(['--db', {sqlite_url!r}, '--json', 'settings', 'show']))\n"
    )
    done = run(code, tmp_path / "logs")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.strip() == '{"serial_management": true}'
    log = (tmp_path / "logs" / "kiosk.log").read_text()
    for words in ("ERROR kiosk.hardware.scanners", "scanner reader failed", "a library speaks up", "through the root logger", "something is deprecated"):
        assert words in log, words


def test_the_log_file_rotates(tmp_path):
    code = "from kiosk import logs\nlogs.MAX_BYTES = 2000\nlogs.setup()\nimport logging\nfor n in range(200):\n    logging.getLogger('kiosk').info('line %d', n)\n"
    done = run(code, tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["kiosk.log", "kiosk.log.1", "kiosk.log.2", "kiosk.log.3", "kiosk.log.4", "kiosk.log.5"]
    assert all(p.stat().st_size <= 2000 for p in tmp_path.iterdir())
    assert "line 199" in (tmp_path / "kiosk.log").read_text()


def test_an_unusable_log_directory_drops_records_instead_of_printing_them(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code = "from kiosk import logs\nassert logs.setup() is None\n" + NOISE
    done = run(code, blocker / "logs")
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_a_log_write_that_fails_is_not_printed(tmp_path):
    """A full disk under the log: logging's own error report would go to stderr."""
    code = (
        "import resource\nfrom kiosk import logs\nlogs.setup()\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY))\n" + NOISE
    )
    done = run(code, tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_setup_twice_adds_one_handler(tmp_path):
    code = "import logging\nfrom kiosk import logs\nfirst = logs.setup()\nassert logs.setup() == first\nassert len(logging.getLogger().handlers) == 1\n"
    done = run(code, tmp_path)
    assert done.returncode == 0, done.stderr


def test_a_bugs_traceback_goes_to_errors_log_in_the_log_directory(tmp_path, sqlite_url):
    code = (
        "import sys\nfrom kiosk.model import api\n"
        "def boom(self):\n    raise RuntimeError('disk on fire')\n"
        "api.Ledger.settings = boom\n"
        f"from kiosk.cli import main\nsys.exit(main(['--db', {sqlite_url!r}, 'settings', 'show']))\n"
    )
    done = run(code, tmp_path / "logs")
    errors = tmp_path / "logs" / "errors.log"
    assert done.returncode == 70 and str(errors) in done.stderr and len(done.stderr.splitlines()) == 1
    assert "Traceback" in errors.read_text() and "disk on fire" in errors.read_text()
