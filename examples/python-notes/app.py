#!/usr/bin/env python3
"""Per-session notes in plain Python (stdlib only), as a sessiond `exec` realm.

sessiond starts one of these per session and tells it where to listen:
SESSIOND_SOCKET (a unix socket) or PORT (loopback). Who the session belongs
to arrives on every request as X-Sessiond-User. The notes live in this
process's memory, so each session has its own.
"""
import json
import os
import socketserver
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler

NOTES = []


def session_data():
    """This session's data in the sessiond store, through SESSIOND_STORE_URL.

    The URL carries a token for this session only, as its password.
    """
    url = urllib.parse.urlsplit(os.environ["SESSIOND_STORE_URL"])
    base = "%s://%s:%d%s" % (url.scheme, url.hostname, url.port, url.path)
    request = urllib.request.Request(base, headers={"authorization": "Bearer " + urllib.parse.unquote(url.password or "")})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


class Notes(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/session-data":
            return self._send(200, session_data())
        self._send(200, {
            "user": self.headers.get("x-sessiond-user"),
            "pid": os.getpid(),
            "notes": NOTES,
        })

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        if length > 64 * 1024:
            return self._send(413, {"error": "note too large"})
        text = self.rfile.read(length).decode("utf-8", "replace").strip()
        if not text:
            return self._send(400, {"error": "empty note"})
        NOTES.append(text)
        self._send(201, {"id": len(NOTES), "text": text})

    def log_message(self, fmt, *args):
        # One line per request on stdout; sessiond logs it bound to this session.
        print("%s %s" % (self.command, self.path), flush=True)


class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        conn, _ = super().get_request()
        # BaseHTTPRequestHandler wants a (host, port) client address.
        return conn, ("local", 0)


class TCPHTTPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    sock = os.environ.get("SESSIOND_SOCKET")
    server = UnixHTTPServer(sock, Notes) if sock else TCPHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Notes)
    server.serve_forever()
