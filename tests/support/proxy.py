"""A loopback TCP proxy to a Unix socket, started when a test chooses.

The test PostgreSQL server listens on a Unix socket only. The proxy makes it
reachable on a loopback port, from a moment that the test picks, as a
database server that starts after the services.
"""

import contextlib
import socket
import threading

CHUNK_BYTES = 65_536


class UnixSocketProxy:
    """Forward each connection to 127.0.0.1:`port` to the Unix socket `target`."""

    def __init__(self, port: int, target: str) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", port))
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        # Closing alone leaves the port accepting connections while the accept
        # thread blocks on it; shutting it down first wakes that thread.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return  # the listener was closed by stop()
            server = socket.socket(socket.AF_UNIX)
            try:
                server.connect(self._target)
            except OSError:
                client.close()
                server.close()
                continue
            with self._lock:
                self._connections += [client, server]
            for source, destination in ((client, server), (server, client)):
                threading.Thread(
                    target=_pump, args=(source, destination), daemon=True
                ).start()


def _pump(source: socket.socket, destination: socket.socket) -> None:
    """Copy bytes from `source` to `destination` until either closes."""
    with contextlib.suppress(OSError):
        while chunk := source.recv(CHUNK_BYTES):
            destination.sendall(chunk)
    with contextlib.suppress(OSError):
        destination.shutdown(socket.SHUT_WR)
