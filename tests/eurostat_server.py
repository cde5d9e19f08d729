"""A scripted HTTP server on 127.0.0.1 that answers like Eurostat's API, or fails the way it can."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "eurostat"


@dataclass
class Answer:
    """One scripted response: status, content type, body; optionally slow or cut short."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    announce_extra: int = 0
    headers: dict = field(default_factory=dict)


class EurostatStub:
    """Serves queued answers per dataset code (the last path segment); records every request path."""

    def __init__(self) -> None:
        self.queues: dict[str, list[Answer]] = {}
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append(self.path)
                dataset = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                queue = stub.queues.get(dataset) or [Answer(404, b'{"error":{"status":404}}')]
                answer = queue.pop(0) if len(queue) > 1 else queue[0]
                time.sleep(answer.delay)
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body) + answer.announce_extra))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(answer.body)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client hung up on purpose (a size limit or timeout under test)
                if answer.announce_extra:
                    self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/eurostat/api/dissemination"

    def script(self, dataset: str, *answers: Answer) -> None:
        self.queues[dataset] = list(answers)

    def __enter__(self) -> "EurostatStub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
