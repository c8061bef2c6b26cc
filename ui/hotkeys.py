"""Keys that work while another application has the focus: answer / hang up hotkeys and the headset's
play/pause (media) key, on X11.

Qt has no global shortcuts, so on X11 the keys are grabbed on the root window (``XGrabKey``) through a
connection of our own to the X server (libX11 through ctypes), whose events a ``QSocketNotifier`` reads on the
GUI thread. A grab another program already holds is skipped with a warning. On Wayland, Windows and macOS
``available()`` is False and the app falls back to its in-window shortcuts (MainWindow), which always work.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os

from PySide6.QtCore import QObject, QSocketNotifier, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence

log = logging.getLogger(__name__)

_KEY_PRESS = 2
_GRAB_MODE_ASYNC = 1
_SHIFT, _LOCK, _CONTROL, _ALT, _NUMLOCK, _SUPER = 1, 2, 4, 8, 16, 64
_IGNORED = (0, _LOCK, _NUMLOCK, _LOCK | _NUMLOCK)  # grabbed with CapsLock/NumLock on or off
XF86_AUDIO_PLAY = 0x1008FF14  # what headset buttons and keyboard play/pause keys send


class _XKeyEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("root", ctypes.c_ulong),
        ("subwindow", ctypes.c_ulong),
        ("time", ctypes.c_ulong),
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("x_root", ctypes.c_int),
        ("y_root", ctypes.c_int),
        ("state", ctypes.c_uint),
        ("keycode", ctypes.c_uint),
        ("same_screen", ctypes.c_int),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xkey", _XKeyEvent), ("pad", ctypes.c_long * 24)]


_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)


def available() -> bool:
    return QGuiApplication.platformName() == "xcb" and bool(os.environ.get("DISPLAY"))


def x11_combo(sequence: str) -> tuple[int, int] | None:
    """(keysym, modifier mask) of a Qt key sequence such as "Ctrl+Shift+A"; None if not expressible."""
    seq = QKeySequence(sequence)
    if seq.isEmpty():
        return None
    text = seq.toString(QKeySequence.SequenceFormat.PortableText)
    *mods, key = text.split("+") if not text.endswith("++") else [*text[:-2].split("+"), "+"]
    mask = 0
    for m in mods:
        mask |= {"Ctrl": _CONTROL, "Shift": _SHIFT, "Alt": _ALT, "Meta": _SUPER}.get(m, 0)
    name = key.lower() if len(key) == 1 else key
    lib = _xlib()
    if lib is None:
        return None
    keysym = lib.XStringToKeysym(name.encode())
    return (int(keysym), mask) if keysym else None


_lib: ctypes.CDLL | None = None


def _xlib() -> ctypes.CDLL | None:
    global _lib
    if _lib is None:
        path = ctypes.util.find_library("X11")
        if not path:
            return None
        lib = ctypes.CDLL(path)
        lib.XOpenDisplay.restype = ctypes.c_void_p
        lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
        lib.XDefaultRootWindow.restype = ctypes.c_ulong
        lib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        lib.XStringToKeysym.restype = ctypes.c_ulong
        lib.XStringToKeysym.argtypes = [ctypes.c_char_p]
        lib.XKeysymToKeycode.restype = ctypes.c_ubyte
        lib.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        lib.XGrabKey.argtypes = [
            ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
            ctypes.c_int,
        ]
        lib.XUngrabKey.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint, ctypes.c_ulong]
        lib.XConnectionNumber.argtypes = [ctypes.c_void_p]
        lib.XPending.argtypes = [ctypes.c_void_p]
        lib.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XEvent)]
        lib.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
        lib.XSetErrorHandler.argtypes = [_ERROR_HANDLER]
        lib.XSetErrorHandler.restype = ctypes.c_void_p
        _lib = lib
    return _lib


class GlobalHotkeys(QObject):
    """Emits ``activated(name)`` for each grabbed key combination pressed anywhere on the X11 desktop."""

    activated = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._display: int | None = None
        self._notifier: QSocketNotifier | None = None
        self._grabs: dict[tuple[int, int], str] = {}  # (keycode, mask) -> name
        self._errors = 0
        self._on_error = _ERROR_HANDLER(self._x_error)  # kept alive: X calls it back

    def _x_error(self, _display: int, _event: int) -> int:
        self._errors += 1  # BadAccess: another program holds the grab
        return 0

    def _open(self) -> bool:
        if self._display is not None:
            return True
        lib = _xlib()
        if lib is None or not available():
            return False
        display = lib.XOpenDisplay(None)
        if not display:
            return False
        lib.XSetErrorHandler(self._on_error)
        self._display = display
        self._notifier = QSocketNotifier(lib.XConnectionNumber(display), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read)
        return True

    def set_keys(self, keys: dict[str, tuple[int, int]]) -> list[str]:
        """Grab exactly ``keys`` (name -> (keysym, modifier mask)); returns the names it could grab."""
        self.clear()
        if not keys or not self._open():
            return []
        lib = _xlib()
        assert lib is not None and self._display is not None
        root = lib.XDefaultRootWindow(self._display)
        grabbed = []
        for name, (keysym, mask) in keys.items():
            code = lib.XKeysymToKeycode(self._display, keysym)
            if not code:
                continue
            self._errors = 0
            for extra in _IGNORED:
                lib.XGrabKey(self._display, code, mask | extra, root, 1, _GRAB_MODE_ASYNC, _GRAB_MODE_ASYNC)
            lib.XSync(self._display, 0)
            if self._errors:
                log.warning("hotkey %s is taken by another program", name)
                for extra in _IGNORED:
                    lib.XUngrabKey(self._display, code, mask | extra, root)
                continue
            self._grabs[(code, mask)] = name
            grabbed.append(name)
        lib.XSync(self._display, 0)
        return grabbed

    def clear(self) -> None:
        lib = _xlib()
        if self._display is None or lib is None:
            return
        root = lib.XDefaultRootWindow(self._display)
        for code, mask in self._grabs:
            for extra in _IGNORED:
                lib.XUngrabKey(self._display, code, mask | extra, root)
        self._grabs.clear()
        lib.XSync(self._display, 0)

    def _read(self) -> None:
        lib = _xlib()
        if self._display is None or lib is None:
            return
        event = _XEvent()
        while lib.XPending(self._display):
            lib.XNextEvent(self._display, ctypes.byref(event))
            if event.type != _KEY_PRESS:
                continue
            state = event.xkey.state & ~(_LOCK | _NUMLOCK)
            name = self._grabs.get((event.xkey.keycode, state))
            if name is not None:
                self.activated.emit(name)

    def close(self) -> None:
        self.clear()
        lib = _xlib()
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier = None
        if self._display is not None and lib is not None:
            lib.XCloseDisplay(self._display)
            self._display = None
