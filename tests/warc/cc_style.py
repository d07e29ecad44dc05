#!/usr/bin/env python3
"""Write a Common-Crawl-style WARC file: one gzip member per record
(warcinfo, then request, response and metadata for each page, as Common
Crawl's crawler writes them: WARC/1.0, payload stored decoded with the
X-Crawler-* header names, WARC-Identified-Payload-Type), with the response
member of the page numbered --corrupt (1-based) damaged in the middle of its
deflate data.  Prints a manifest, one line per member: OFFSET TYPE URI
[corrupt].

Usage: cc_style.py OUT.warc.gz --corrupt N PAGE.html...
"""
import gzip
import os
import sys
import uuid


COUNTER = [0]


def record(kind, uri, date, ctype, block, extra=()):
    COUNTER[0] += 1
    rid = "<urn:uuid:%s>" % uuid.UUID(int=0x5eed0000 + COUNTER[0], version=4)
    head = ["WARC/1.0", "WARC-Type: " + kind, "WARC-Date: " + date,
            "WARC-Record-ID: " + rid, "Content-Length: %d" % len(block),
            "Content-Type: " + ctype]
    if uri:
        head.insert(2, "WARC-Target-URI: " + uri)
    head += list(extra)
    return ("\r\n".join(head) + "\r\n\r\n").encode() + block + b"\r\n\r\n", rid


def main():
    out = sys.argv[1]
    corrupt = int(sys.argv[sys.argv.index("--corrupt") + 1])
    pages = [a for a in sys.argv[2:] if a.endswith(".html")]
    members = []
    info = b"software: cc_style.py\r\nformat: WARC File Format 1.0\r\n"
    members.append(("warcinfo", "-") + record("warcinfo", None, "2024-05-18T01:58:10Z",
                                              "application/warc-fields", info)[:1])
    for i, path in enumerate(pages, 1):
        uri = "https://news.example/%s" % os.path.basename(path)
        date = "2024-05-18T02:%02d:00Z" % i
        req = ("GET /%s HTTP/1.1\r\nHost: news.example\r\nUser-Agent: CCBot/2.0\r\n\r\n"
               % os.path.basename(path)).encode()
        members.append(("request", uri) + record("request", uri, date,
                                                  "application/http; msgtype=request", req)[:1])
        with open(path, "rb") as f:
            body = f.read()
        http = ("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n"
                "X-Crawler-Content-Encoding: gzip\r\nX-Crawler-Content-Length: 1234\r\n"
                "Content-Length: %d\r\n\r\n" % len(body)).encode() + body
        data, rid = record("response", uri, date, "application/http; msgtype=response", http,
                           ["WARC-Identified-Payload-Type: text/html"])
        members.append(("response", uri) + (data,))
        meta = b"fetchTimeMs: 120\r\ncharset-detected: UTF-8\r\n"
        members.append(("metadata", uri) + record("metadata", uri, date,
                                                   "application/warc-fields", meta,
                                                   ["WARC-Concurrent-To: " + rid])[:1])
    offset = 0
    bad_seen = 0
    with open(out, "wb") as f:
        for kind, uri, data in members:
            z = bytearray(gzip.compress(data, mtime=0))
            tag = ""
            if kind == "response":
                bad_seen += 1
                if bad_seen == corrupt:
                    mid = len(z) // 2
                    for k in range(mid, min(mid + 16, len(z) - 8)):
                        z[k] ^= 0x5A
                    tag = " corrupt"
            print("%d %s %s%s" % (offset, kind, uri, tag))
            f.write(z)
            offset += len(z)


if __name__ == "__main__":
    main()
