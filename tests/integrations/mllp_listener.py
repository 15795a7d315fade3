"""A real MLLP listener for tests: a TCP server thread that records each message and answers an ACK."""

from __future__ import annotations

import socketserver
import threading

from integrations.hl7.mllp import END, START


class MllpListener:
    def __init__(self, ack_code: str = "AA") -> None:
        self.ack_code = ack_code
        self.ack_text = ""
        self.received: list[str] = []
        listener = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                buffer = b""
                while True:
                    chunk = self.request.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                    while END in buffer:
                        raw, buffer = buffer.split(END, 1)
                        message = raw[raw.find(START) + 1 :].decode()
                        listener.received.append(message)
                        control_id = message.split("\r")[0].split("|")[9]
                        ack = (
                            "MSH|^~\\&|EHR|HOSPITAL|INFUSION|MSCENTER|20260101120000||ACK|A" + control_id + "|P|2.5\r"
                            f"MSA|{listener.ack_code}|{control_id}|{listener.ack_text}"
                        )
                        self.request.sendall(START + ack.encode() + END)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> MllpListener:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def events(self) -> list[str]:
        return [m.split("\r")[0].split("|")[8] for m in self.received]
