"""One running app per user: a second launch forwards its call target to the first and exits."""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

_TIMEOUT_MS = 1000


def default_server_name(profile: str | None = None) -> str:
    key = f"{getpass.getuser()}|{profile or ''}"
    return "softphone-" + hashlib.sha1(key.encode()).hexdigest()[:12]


class SingleInstance(QObject):
    """Owns the QLocalServer of the primary instance; ``messageReceived`` carries forwarded requests.

    Messages are UTF-8 lines: ``show`` or ``call <target>``.
    """

    messageReceived = Signal(str)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._server: QLocalServer | None = None

    def forward(self, message: str) -> bool:
        """Send ``message`` to a running primary instance; False when none is running."""
        sock = QLocalSocket()
        sock.connectToServer(self._name)
        if not sock.waitForConnected(_TIMEOUT_MS):
            return False
        sock.write((message + "\n").encode())
        sock.flush()
        sock.waitForBytesWritten(_TIMEOUT_MS)
        sock.disconnectFromServer()
        return True

    def listen(self) -> bool:
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self._name):
            # A stale socket left by a crashed instance: nobody answered forward(), so remove and retry.
            QLocalServer.removeServer(self._name)
            if not server.listen(self._name):
                return False
        server.newConnection.connect(self._on_new_connection)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_new_connection(self) -> None:
        assert self._server is not None
        while (sock := self._server.nextPendingConnection()) is not None:
            # The sender writes one short line right after connecting: read it here, then let go of the socket
            # (no per-socket slots that could outlive it).
            if not sock.canReadLine():
                sock.waitForReadyRead(_TIMEOUT_MS)
            self._read(sock)
            sock.abort()
            sock.deleteLater()

    def _read(self, sock: QLocalSocket) -> None:
        while sock.canReadLine():
            line = bytes(sock.readLine().data()).decode("utf-8", "replace").strip()
            if line:
                self.messageReceived.emit(line)
