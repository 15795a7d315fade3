"""MLLP framing (HL7 v2 over TCP): <VT> message <FS><CR>; one message, one answer per exchange."""

from __future__ import annotations

import socket

START, END = b"\x0b", b"\x1c\x0d"


def frame(message: str) -> bytes:
    return START + message.encode("utf-8") + END


def exchange(host: str, port: int, message: str, *, timeout: float) -> str:
    """Send one message and return the answer's text; OSError (refused, reset, timeout) when there is none."""
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.settimeout(timeout)
        conn.sendall(frame(message))
        buffer = b""
        while END not in buffer:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionError("The EHR closed the connection without an acknowledgement.")
            buffer += chunk
    start = buffer.find(START)
    return buffer[start + 1 : buffer.find(END)].decode("utf-8", errors="replace")
