#!/usr/bin/env python3
"""Fixture HTTP server for the WARC tests: serves tests/pages on 127.0.0.1
(an ephemeral port, printed on stdout as the first line) with the shapes a
crawl meets, so that a real tool (wget --warc-file) records them:

  /NAME.html                 the page, Content-Type: text/html
  /header-charset/NAME.html  charset=windows-1251 only in the HTTP header
  /gzip/NAME.html            Content-Encoding: gzip
  /chunked/NAME.html         Transfer-Encoding: chunked
  /redirect                  301 to /paris-declaration.html
  /missing.html              404 with an HTML body
  /image.png                 a PNG image

It stops by itself after --lifetime seconds (default 120) and serves only
loopback.  Usage: server.py PAGES_DIR [--lifetime S]
"""
import gzip
import http.server
import os
import struct
import sys
import threading
import zlib


def png():
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    ihdr = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    pages = "."

    def log_message(self, *args):
        pass

    def send(self, status, ctype, body, extra=()):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def page(self, name):
        name = os.path.basename(name)
        path = os.path.join(self.pages, name)
        if not name.endswith(".html") or not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    def do_GET(self):
        p = self.path.split("?")[0]
        if p == "/redirect":
            return self.send(301, "text/html",
                             b"<html><body><a href=\"/paris-declaration.html\">moved</a></body></html>\n",
                             [("Location", "/paris-declaration.html")])
        if p == "/image.png":
            return self.send(200, "image/png", png())
        if p.startswith("/header-charset/"):
            body = self.page(p[len("/header-charset/"):])
            if body is not None:
                return self.send(200, "text/html; charset=windows-1251", body)
        elif p.startswith("/gzip/"):
            body = self.page(p[len("/gzip/"):])
            if body is not None:
                return self.send(200, "text/html", gzip.compress(body, mtime=0),
                                 [("Content-Encoding", "gzip")])
        elif p.startswith("/chunked/"):
            body = self.page(p[len("/chunked/"):])
            if body is not None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(0, len(body), 1000):
                    part = body[i:i + 1000]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
                return
        else:
            body = self.page(p[1:])
            if body is not None:
                return self.send(200, "text/html", body)
        self.send(404, "text/html", b"<html><body><h1>Not Found</h1></body></html>\n")


def main():
    Handler.pages = sys.argv[1]
    lifetime = 120.0
    if "--lifetime" in sys.argv:
        lifetime = float(sys.argv[sys.argv.index("--lifetime") + 1])
    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print(srv.server_address[1], flush=True)
    threading.Timer(lifetime, srv.shutdown).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
