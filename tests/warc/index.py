#!/usr/bin/env python3
"""An independent listing of a well-formed WARC file's records, to check
the C reader's offsets: OFFSET[+SKIP] TYPE URI per record, as warc_list
prints them before " -> ".  Plain files: byte offsets; gzip: the offset of
the member a record starts in, +SKIP for the decompressed bytes of that
member before it.  Strict: it knows nothing about damaged files.
With --ids, each line also has WARC-Record-ID and WARC-Date.
Usage: index.py [--ids] FILE
"""
import sys
import zlib


def members(data):
    """(offset, decompressed bytes) for each gzip member."""
    pos = 0
    while pos < len(data):
        d = zlib.decompressobj(31)
        out = d.decompress(data[pos:]) + d.flush()
        used = len(data) - pos - len(d.unused_data)
        yield pos, out
        pos += used


def records(stream):
    """(position, type, uri) of each record in a decompressed stream."""
    pos = 0
    while True:
        while pos < len(stream) and stream[pos:pos + 1] in (b"\r", b"\n"):
            pos += 1
        if pos >= len(stream):
            return
        end = stream.index(b"\r\n\r\n", pos)
        head = stream[pos:end].decode("utf-8", "replace").split("\r\n")
        assert head[0].startswith("WARC/"), head[0]
        fields = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            fields.setdefault(k.strip().lower(), v.strip())
        uri = fields.get("warc-target-uri", "-")
        if uri.startswith("<") and uri.endswith(">"):
            uri = uri[1:-1]
        yield pos, fields["warc-type"], uri, fields.get("warc-record-id", "-"), fields.get("warc-date", "-")
        pos = end + 4 + int(fields["content-length"])


def main():
    ids = sys.argv[1] == "--ids"
    data = open(sys.argv[-1], "rb").read()
    if data[:2] == b"\x1f\x8b":
        whole = b""
        starts = []
        for off, out in members(data):
            starts.append((len(whole), off))
            whole += out
        for pos, kind, uri, rid, date in records(whole):
            moff, mpos = max((s for s in starts if s[0] <= pos), key=lambda s: s[0])[1], \
                max(s[0] for s in starts if s[0] <= pos)
            where = "%d" % moff if pos == mpos else "%d+%d" % (moff, pos - mpos)
            print(where, kind, uri, *((rid, date) if ids else ()))
    else:
        for pos, kind, uri, rid, date in records(data):
            print(pos, kind, uri, *((rid, date) if ids else ()))


if __name__ == "__main__":
    main()
