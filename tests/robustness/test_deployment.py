"""The deployment files say what the README's "Deploying a station" promises: the station on tty1,
full screen, restarted whenever it exits, its stderr and logs kept off the screen.

(``systemd-analyze verify config/kiosk.service`` passes where systemd is installed;
CI does not depend on it, so these read the files themselves.)
"""

from __future__ import annotations

from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "config"


def directives(path: Path) -> dict[str, dict[str, list[str]]]:
    """section → key → values, in order (systemd keys may repeat: Environment=, ExecStart=)."""
    found: dict[str, dict[str, list[str]]] = {}
    section = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = found.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        section.setdefault(key.strip(), []).append(value.strip())
    return found


def test_the_unit_runs_the_station_on_tty1_and_restarts_it_forever():
    unit = directives(CONFIG / "kiosk.service")
    service = unit["Service"]
    assert service["ExecStart"][-1].endswith("/kiosk run")
    assert service["TTYPath"] == ["/dev/tty1"] and service["StandardInput"] == ["tty-force"]
    assert service["Restart"] == ["always"] and unit["Unit"]["StartLimitIntervalSec"] == ["0"]
    assert "getty@tty1.service" in unit["Unit"]["Conflicts"]
    assert service["StandardError"] == ["journal"]  # never over the screen
    env = dict(v.split("=", 1) for v in service["Environment"])
    assert env["KIOSK_LOG_DIR"] == "/var/log/kiosk" and service["LogsDirectory"] == ["kiosk"]
    assert env["KIOSK_CONFIG"] == "/etc/kiosk/station.toml" and env["TERM"] == "linux"
    assert service["User"] == ["kiosk"] and service["WorkingDirectory"] == ["/var/lib/kiosk"] and service["StateDirectory"] == ["kiosk"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]
    # the scanners come from 99-kiosk-scanners.rules; the input group would read every keyboard
    assert "input" not in service["SupplementaryGroups"][0].split() and "lp" in service["SupplementaryGroups"][0].split()


def test_the_getty_alternative_logs_the_kiosk_user_in_and_restarts():
    path = CONFIG / "getty-autologin.conf"
    service = directives(path)["Service"]
    assert service["ExecStart"][0] == ""  # clears getty@.service's ExecStart first
    assert "--autologin kiosk" in service["ExecStart"][1] and service["Restart"] == ["always"]
    assert "exec /opt/kiosk/.venv/bin/kiosk run 2>>" in path.read_text()  # stderr to a file, not the screen


def test_the_deployment_guide_covers_every_step():
    guide = (CONFIG.parent / "README.md").read_text().split("## Deploying a station", 1)[1]
    for words in ("adduser", "99-kiosk-scanners.rules", "kiosk.service", "getty-autologin.conf", "kiosk db backup",
                  "pg_dump", "pg_restore", "KIOSK_LOG_DIR", "kiosk doctor", "KIOSK_BUSY_TIMEOUT_MS"):
        assert words in guide, words
