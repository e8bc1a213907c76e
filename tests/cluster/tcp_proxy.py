"""A TCP relay the failure drills can cut: "PostgreSQL is down" without stopping anyone's PostgreSQL.

The cluster under test reaches PostgreSQL and Redis through one of these.
``cut()`` closes the listening socket and every relayed connection (what
clients see when the server stops: connections reset, new ones refused);
``restore()`` listens again on the same port. The machine's own servers,
which other test runs may be using, are never touched.
"""
from __future__ import annotations

import socket
import threading
import time
from typing import Optional


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, port: int = 0, latency_s: float = 0.0) -> None:
        """``latency_s``: added to every chunk relayed each way (a server across a network)."""
        self.target = (target_host, target_port)
        self.latency_s = latency_s
        self.port = port
        self._listener: Optional[socket.socket] = None
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.up = False
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self.up = True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        self.up = False
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    close = cut

    def _accept(self, listener: socket.socket) -> None:
        while self.up and listener is self._listener:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=3)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if not self.up:
                    client.close()
                    upstream.close()
                    return
                self._connections.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self.latency_s:
                    time.sleep(self.latency_s)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            with self._lock:
                self._connections.discard(source)
                self._connections.discard(sink)
