"""Barcode scanners read directly from ``/dev/input`` with python-evdev.

For the station (the API ``kiosk.screens`` calls)::

    hub = ScannerHub(config.scanners, on_scan=..., on_status=...)
    hub.start()      # returns at once; discovery and reading run in threads
    ...
    hub.stop()       # ungrabs and closes every device, joins the threads

- ``on_scan(scan: Scan)``: one call per complete scan (``scan.ok``; ``scan.text``,
  ``scan.scanner`` the config name, ``scan.mode`` the mode it is bound to or None,
  ``scan.device``), or per discarded partial scan (``scan.dropped`` says why, for the
  operator: a kernel overflow, a time-out, an unplug mid-scan). GS1 decoding is left
  to the caller (``kiosk.hardware.gs1.parse_scan``) so errors are shown like any other.
- ``on_status(status: ScannerStatus)``: a scanner was found, lost, is waiting, or may
  not be read (``status.message`` explains what to do). ``hub.statuses()`` gives the
  latest of each.
- Both callbacks run on the hub's threads, never on the caller's event loop: from
  Textual, forward them with ``app.call_from_thread(...)`` or ``post_message`` (both
  thread-safe). An exception in a callback is logged and reading goes on.
- ``hub.usable`` is False while no configured scanner is connected; the station then
  falls back to keyboard-wedge scans typed into the terminal.
- A bad scanner config (empty ``match``, unknown layout or terminator, a time-out
  that is not positive) raises ``KioskError("bad_config")`` from the constructor.
- Tests run the hub without a kernel by passing ``input_dir`` (a folder of
  ``event*`` files) and ``open_device`` (path → an object shaped as
  ``evdev.InputDevice``); see ``tests/unit/test_scanners.py``.

Why threads: the kernel buffers only about 64 events per reader (some ten
characters), so a reader must never wait behind a long screen update. Each device
gets its own thread blocked in ``select`` and its own ``ScanDecoder``; a small
supervisor thread polls ``/dev/input`` once a second for scanners that appear or
come back (hot-plug without udev bindings). Each device is grabbed (``EVIOCGRAB``)
so scans never reach the console or another program, and only the node that
types (the one with letter and Enter keys, no pointer axes) is read: the extra
mouse, consumer- or system-control nodes a scanner exposes are skipped.
"""

from __future__ import annotations

import fnmatch
import glob
import logging
import os
import re
import select
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from evdev import ecodes as e

from ..model.errors import KioskError
from .decoder import Scan, ScanDecoder

__all__ = ["Candidate", "Scan", "ScannerHub", "ScannerStatus", "list_candidates", "is_keyboard"]

log = logging.getLogger("kiosk.scanners")

INPUT_DIR = "/dev/input"
PERMISSION_HINT = (
    "no permission to read {path}: install config/99-kiosk-scanners.rules in /etc/udev/rules.d/ "
    "(with your scanner's vendor:product and the kiosk user), run 'sudo udevadm control --reload "
    "&& sudo udevadm trigger', then replug the scanner"
)
NO_INPUT_HINT = (
    "no input devices under {dir}: plug in the scanner (set to USB keyboard emulation); "
    "in a container or VM pass /dev/input through; else scans can be typed into the station as a keyboard wedge"
)
_SCANNER_NAME = re.compile(
    r"scan|barcode|bar code|\bkbw\b|\bqr\b|2d|honeywell|zebra|symbol|datalogic|newland|opticon|"
    r"metrologic|hand ?held|code ?reader|netum|tera|inateck|eyoyo|sm-2d",
    re.I,
)
_LETTERS_AND_DIGITS = {e.KEY_A, e.KEY_Z, e.KEY_1, e.KEY_0}
_VENDOR_PRODUCT = re.compile(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})")


# ---------------------------------------------------------------- what a device is


def is_keyboard(capabilities: dict[int, Any]) -> bool:
    """The node that types: letter, digit and Enter keys, no pointer axes (not the mouse or consumer node)."""
    keys = set(capabilities.get(e.EV_KEY, ()))
    typing = _LETTERS_AND_DIGITS <= keys and (e.KEY_ENTER in keys or e.KEY_KPENTER in keys)
    return typing and e.EV_REL not in capabilities and e.EV_ABS not in capabilities


def looks_like_scanner(name: str, capabilities: dict[int, Any]) -> bool:
    """A guess for ``scanners list``: a keyboard node whose name sounds like a scanner."""
    return is_keyboard(capabilities) and bool(_SCANNER_NAME.search(name or ""))


@dataclass
class Candidate:
    """One ``/dev/input/event*`` node, as ``kiosk scanners list`` shows it."""

    path: str
    name: str = ""
    vendor: int = 0
    product: int = 0
    keyboard: bool = False
    scanner: bool = False
    readable: bool = False
    by_id: list[str] = field(default_factory=list)
    config: str | None = None  # the configured scanner this node would be
    problem: str | None = None
    denied: bool = False  # the problem is permission: the udev rule is missing

    @property
    def vendor_product(self) -> str:
        return f"{self.vendor:04x}:{self.product:04x}"

    def as_json(self) -> dict:
        return {
            "name": self.name, "path": self.path, "vendor_product": self.vendor_product,
            "scanner": self.scanner, "keyboard": self.keyboard, "readable": self.readable,
            "config": self.config, "by_id": self.by_id, "problem": self.problem,
        }


def matches(config, path: str, name: str, vendor: int, product: int, by_id: Iterable[str] = ()) -> bool:
    """Does the config's ``match`` (a by-id glob, a vendor:product, or the device name) pick this node?"""
    pattern = config.match.strip()
    if not pattern:
        return False
    if pattern.startswith("/"):
        real = os.path.realpath(path)
        return any(fnmatch.fnmatch(link, pattern) for link in by_id) or real in {
            os.path.realpath(p) for p in glob.glob(pattern)
        }
    vp = _VENDOR_PRODUCT.fullmatch(pattern)
    if vp:
        return (vendor, product) == (int(vp[1], 16), int(vp[2], 16))
    return fnmatch.fnmatchcase(name, pattern)


def _by_id_links(input_dir: str) -> dict[str, list[str]]:
    links: dict[str, list[str]] = {}
    for link in sorted(glob.glob(os.path.join(input_dir, "by-id", "*"))):
        links.setdefault(os.path.realpath(link), []).append(link)
    return links


def _sysfs(path: str, sys_root: str) -> tuple[str, int, int]:
    """Name and vendor:product from sysfs: known even when the node may not be opened."""
    base = Path(sys_root, "class", "input", os.path.basename(path), "device")
    try:
        name = (base / "name").read_text().strip()
        vendor = int((base / "id" / "vendor").read_text(), 16)
        product = int((base / "id" / "product").read_text(), 16)
    except (OSError, ValueError):
        return "", 0, 0
    return name, vendor, product


def _event_paths(input_dir: str) -> list[str]:
    return sorted(glob.glob(os.path.join(input_dir, "event*")), key=lambda p: (len(p), p))


def _open_evdev(path: str):
    from evdev import InputDevice

    return InputDevice(path)


def list_candidates(
    input_dir: str = INPUT_DIR,
    configs: Sequence = (),
    open_device: Callable[[str], Any] = _open_evdev,
    sys_root: str = "/sys",
) -> list[Candidate]:
    """Every input node, what it is and whether we may read it (for ``kiosk scanners list``)."""
    links = _by_id_links(input_dir)
    found = []
    for path in _event_paths(input_dir):
        cand = Candidate(path=path, by_id=links.get(os.path.realpath(path), []))
        try:
            device = open_device(path)
        except PermissionError:
            cand.name, cand.vendor, cand.product = _sysfs(path, sys_root)
            cand.problem, cand.denied = PERMISSION_HINT.format(path=path), True
        except OSError as exc:
            cand.problem = f"cannot open {path}: {exc.strerror or exc}"
        else:
            try:
                caps = device.capabilities()
                cand.name, cand.vendor, cand.product = device.name, device.info.vendor, device.info.product
                cand.readable, cand.keyboard, cand.scanner = True, is_keyboard(caps), looks_like_scanner(device.name, caps)
            finally:
                device.close()
        cand.config = next(
            (c.name for c in configs if matches(c, path, cand.name, cand.vendor, cand.product, cand.by_id)), None
        )
        found.append(cand)
    return found


# ---------------------------------------------------------------- the hub


@dataclass(frozen=True)
class ScannerStatus:
    scanner: str  # the config's name
    state: str  # connected | disconnected | waiting | permission_denied | busy
    device: str | None = None
    message: str = ""

    @property
    def connected(self) -> bool:
        return self.state == "connected"


class _Reader:
    """One grabbed device, its decoder and its thread."""

    def __init__(self, hub: ScannerHub, config, device, path: str) -> None:
        self.hub, self.config, self.device, self.path = hub, config, device, path
        self.decoder = ScanDecoder(
            config.layout, config.terminators, config.timeout_ms,
            source=Scan("", scanner=config.name, device=path, mode=config.mode),
        )
        self.thread = threading.Thread(target=self.run, name=f"scanner {config.name} {path}", daemon=True)

    def run(self) -> None:
        try:
            self._read()
        except Exception as exc:  # a reader must end in a status, never a traceback on the screen
            log.exception("scanner reader failed")
            self._gone(f"{type(exc).__name__}: {exc}")

    def _read(self) -> None:
        idle_since = time.monotonic()
        resync = False
        while not self.hub._stopping.is_set():
            timeout = None
            if self.decoder.pending:
                timeout = max(0.0, idle_since + self.decoder.timeout - time.monotonic())
            try:
                ready, _, _ = select.select([self.device.fd, self.hub._wake_r], [], [], timeout)
            except (OSError, ValueError):  # the fd went away under us
                return self._gone("the device closed")
            if self.hub._stopping.is_set():
                return
            if not ready:
                self.hub._deliver(self.decoder.expire())
                continue
            if self.device.fd not in ready:
                continue
            try:
                events = list(self.device.read())
            except BlockingIOError:
                continue
            except OSError as exc:
                return self._gone(exc.strerror or str(exc))
            if not events:  # end of file: the node is gone
                return self._gone("end of input")
            idle_since = time.monotonic()
            for event in events:
                self.hub._deliver(self.decoder.feed(event))
                if event.type == e.EV_SYN:
                    # after an overflow the kernel's key state is the truth (kernel docs: input/event-codes)
                    if event.code == e.SYN_DROPPED:
                        resync = True
                    elif resync and event.code == e.SYN_REPORT:
                        self._resync()
                        resync = False

    def _resync(self) -> None:
        try:
            self.decoder.resync(self.device.active_keys())
        except OSError:
            pass

    def _gone(self, reason: str) -> None:
        lost = self.decoder.expire()
        self.hub._deliver([replace(scan, dropped="the scanner was unplugged mid-scan: scan again") for scan in lost])
        self.hub._lost(self, f"{self.config.name} disconnected ({reason}); waiting for it to return")

    def close(self) -> None:
        for action in (self.device.ungrab, self.device.close) if self.config.grab else (self.device.close,):
            try:
                action()
            except OSError:
                pass


class ScannerHub:
    """Every configured scanner, read in its own thread; see the module docstring."""

    def __init__(
        self,
        configs: Sequence,
        on_scan: Callable[[Scan], None],
        on_status: Callable[[ScannerStatus], None] = lambda status: None,
        *,
        input_dir: str = INPUT_DIR,
        open_device: Callable[[str], Any] = _open_evdev,
        sys_root: str = "/sys",
        poll_interval: float = 1.0,
    ) -> None:
        for config in configs:  # a bad match, layout or terminator is bad_config now, not in a thread
            if not config.match.strip():
                raise KioskError(
                    "bad_config",
                    f"scanners.match of scanner {config.name!r} is empty: give a /dev/input/by-id glob, "
                    "the device name or vendor:product (see 'kiosk scanners list')",
                )
            ScanDecoder(config.layout, config.terminators, config.timeout_ms)
        self.configs = list(configs)
        self.on_scan, self.on_status = on_scan, on_status
        self.input_dir, self.open_device, self.sys_root = input_dir, open_device, sys_root
        self.poll_interval = poll_interval
        self._readers: dict[str, _Reader] = {}  # path -> reader
        self._skipped: dict[str, tuple] = {}  # path -> identity of a node that is not ours
        self._denied: set[str] = set()  # nodes we may not open and cannot tell whether they are ours
        self._status: dict[tuple[str, str | None], ScannerStatus] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = os.pipe()
        self._supervisor: threading.Thread | None = None

    # -------------------------------------------------------------- public
    def start(self) -> None:
        self._supervisor = threading.Thread(target=self._supervise, name="scanner hot-plug", daemon=True)
        self._supervisor.start()

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        os.write(self._wake_w, b"x")
        with self._lock:
            threads = [r.thread for r in self._readers.values()]
        for thread in threads + ([self._supervisor] if self._supervisor else []):
            if thread.is_alive() and thread is not threading.current_thread():
                thread.join(timeout=2)
        with self._lock:
            for reader in self._readers.values():
                reader.close()
            self._readers.clear()
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)

    @property
    def usable(self) -> bool:
        with self._lock:
            return bool(self._readers)

    def statuses(self) -> list[ScannerStatus]:
        with self._lock:
            return list(self._status.values())

    def poll(self) -> None:
        """One discovery pass: open and start every matching scanner node not yet read."""
        links = _by_id_links(self.input_dir)
        paths = _event_paths(self.input_dir)
        self._denied.intersection_update(paths)
        for path in paths:
            with self._lock:
                if path in self._readers or self._stopping.is_set():
                    continue
            identity = _identity(path)
            if identity is not None and self._skipped.get(path) == identity:
                continue
            if not self._try_open(path, links.get(os.path.realpath(path), [])) and identity is not None:
                self._skipped[path] = identity
        unread = (
            f"; {len(self._denied)} input node(s) may not be read by this user: see config/99-kiosk-scanners.rules"
            if self._denied else ""
        )
        with self._lock:
            serving = {r.config.name for r in self._readers.values()}
            waiting = [
                c for c in self.configs
                if c.name not in serving and all(k[0] != c.name or k[1] is None for k in self._status)
            ]
        for config in waiting:  # callbacks run outside the lock
            self._report(ScannerStatus(config.name, "waiting", None, f"no device matches {config.match!r} yet{unread}"))

    # -------------------------------------------------------------- internals
    def _supervise(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll()
            except Exception:  # never let discovery die: the station keeps its wedge fallback
                log.exception("scanner discovery failed")
            self._stopping.wait(self.poll_interval)

    def _try_open(self, path: str, by_id: list[str]) -> bool:
        """Start reading ``path`` if it is one of our scanners; False when it is not ours."""
        try:
            device = self.open_device(path)
        except PermissionError:
            name, vendor, product = _sysfs(path, self.sys_root)
            config = self._config_for(path, name, vendor, product, by_id)
            if config is None:
                self._denied.add(path)
                return False  # not known to be ours; a udev rule changing its owner changes its identity
            self._report(ScannerStatus(config.name, "permission_denied", path, PERMISSION_HINT.format(path=path)))
            return True  # retry: the permissions may be fixed while we run
        except OSError:
            return False
        config = self._config_for(path, device.name, device.info.vendor, device.info.product, by_id)
        if config is None or not is_keyboard(device.capabilities()):
            device.close()
            return False
        if config.grab:
            try:
                device.grab()
            except OSError as exc:
                device.close()
                self._report(ScannerStatus(
                    config.name, "busy", path,
                    f"cannot take {path} for ourselves ({exc.strerror or exc}): another program holds it; is a second kiosk running?",
                ))
                return True
        reader = _Reader(self, config, device, path)
        with self._lock:
            self._readers[path] = reader
            for key in [k for k, s in self._status.items() if k[0] == config.name and not s.connected]:
                del self._status[key]
        self._report(ScannerStatus(config.name, "connected", path, f"{device.name} ({path})"))
        reader.thread.start()
        return True

    def _config_for(self, path, name, vendor, product, by_id):
        return next((c for c in self.configs if matches(c, path, name, vendor, product, by_id)), None)

    def _lost(self, reader: _Reader, message: str) -> None:
        with self._lock:
            self._readers.pop(reader.path, None)
        reader.close()
        self._report(ScannerStatus(reader.config.name, "disconnected", reader.path, message))

    def _report(self, status: ScannerStatus) -> None:
        with self._lock:
            key = (status.scanner, status.device)
            if self._status.get(key) == status:
                return
            self._status[key] = status
        _call(self.on_status, status)

    def _deliver(self, scans: list[Scan]) -> None:
        for scan in scans:
            _call(self.on_scan, scan)


def _call(callback: Callable, value: Any) -> None:
    try:
        callback(value)
    except Exception:
        log.exception("scanner callback failed")


def _identity(path: str) -> tuple | None:
    """Tells a node from the next one the kernel creates under the same name."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_rdev, st.st_ctime_ns)
