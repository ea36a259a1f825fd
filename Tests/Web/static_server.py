"""A static server for the browser tests: serves web/ at / and one model file at
/models/<name>, with HTTP Range requests, an ETag, the COOP/COEP headers that wasm threads
will need, a log of every request, and a switch that cuts the next model download after
a number of bytes (to test resuming).

Run alone to try the demo:  python3 Tests/Web/static_server.py MODEL.gguf [PORT]
"""

import http.server
import re
import socket
import sys
import threading
from pathlib import Path

WEB_ROOT = Path(__file__).resolve().parents[2] / "web"


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, model_path, port=0):
        super().__init__(("127.0.0.1", port), Handler)
        self.model_path = Path(model_path)
        self.model_url = f"/models/{self.model_path.name}"
        self.requests = []  # (method, path, range header or None, status)
        self.cut_next_model_download_after = None
        self.lock = threading.Lock()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def model_gets(self):
        with self.lock:
            return [r for r in self.requests if r[0] == "GET" and r[1] == self.model_url]

    def start(self):
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(WEB_ROOT), **kwargs)

    def log_message(self, format, *args):
        pass  # the request log is kept in the server instead

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def record(self, status):
        with self.server.lock:
            self.server.requests.append((self.command, self.path.split("?")[0], self.headers.get("Range"), status))

    def do_GET(self):
        if self.path.split("?")[0] == self.server.model_url:
            self.send_model()
        else:
            self.record(200 if (WEB_ROOT / self.path.lstrip("/").split("?")[0]).exists() else 404)
            super().do_GET()

    def send_model(self):
        path = self.server.model_path
        size = path.stat().st_size
        etag = f'"{size:x}-{int(path.stat().st_mtime):x}"'
        start, end = 0, size - 1
        range_header = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", range_header or "")
        partial = bool(match) and (if_range is None or if_range == etag)
        if partial:
            start = int(match.group(1))
            end = min(int(match.group(2) or size - 1), size - 1)
            if start >= size:
                self.record(416)
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.end_headers()
                return
        status = 206 if partial else 200
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        if partial:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        with self.server.lock:
            cut = self.server.cut_next_model_download_after
            self.server.cut_next_model_download_after = None
        remaining = end - start + 1 if cut is None else min(cut, end - start + 1)
        with open(path, "rb") as file:
            file.seek(start)
            while remaining > 0:
                chunk = file.read(min(1 << 20, remaining))
                if not chunk:
                    break
                self.wfile.write(chunk)
                remaining -= len(chunk)
        if cut is not None:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)  # the promised length never arrives
            self.close_connection = True


if __name__ == "__main__":
    server = Server(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 8000).start()
    print(f"{server.base_url}/?model={server.model_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
