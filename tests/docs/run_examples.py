#!/usr/bin/env python3
"""Run the examples of a Markdown page and compare their output exactly.

usage: run_examples.py [--update] PIPE PAGE.md [PAGE.md...]

--update rewrites each output block with what its example printed (review
the diff before committing).

The page's fenced blocks form the tests:

- a ```lua block followed by an ```output block: a snippet.  It runs as
  the body of a page function, `pipe run --url URL example.lua page.html`,
  with `page` (tests/docs/page.html), `print` (collects lines, tab between
  values, as Lua's print) and `show` (prints values as Lua literals:
  strings quoted, tables with sorted keys) from tests/docs/docshow.lua.
  Its printed lines must equal the output block.
- a ```lua block whose first line is `-- file: NAME`: written to NAME in
  the work directory (for the shell examples that follow); not run.
- a ```sh block followed by an ```output block: run with `sh` in the work
  directory (which holds page.html and the files written so far), with
  `pipe` on PATH; stdout and stderr together must equal the output block.

Any other ```lua or ```sh block is an error, so every example is tested.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
URL = "https://example.com/news/paris.html"
FENCE = re.compile(r"^```(\S*)\s*$")


def blocks(path):
    """(line, lang, text) of every fenced block."""
    out = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang, body = i + 1, m.group(1), []
        i += 1
        while i < len(lines) and lines[i] != "```":
            body.append(lines[i])
            i += 1
        if i >= len(lines):
            sys.exit("%s:%d: unterminated code block" % (path, start))
        out.append((start, lang, "\n".join(body)))
        i += 1
    return out


def snippet_script(code):
    # one prelude line, so the snippet's line k is the script's line k + 1
    return ("local __out = {} local print, show = require('docshow')(__out) "
            "return function(page)\n" + code +
            "\nreturn { out = table.concat(__out, '\\n') } end\n")


def run(cmd, cwd, env, merge=False):
    p = subprocess.run(cmd, cwd=cwd, env=env, timeout=60,
                       stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT if merge else subprocess.PIPE)
    return p.returncode, p.stdout.decode("utf-8", "replace"), \
        (p.stderr or b"").decode("utf-8", "replace")


def main():
    args = sys.argv[1:]
    update = bool(args) and args[0] == "--update"
    if update:
        args = args[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    pipe = os.path.abspath(args[0])
    work = tempfile.mkdtemp(prefix="pipe-docs.")
    failed = passed = 0
    try:
        bindir = os.path.join(work, ".bin")
        os.mkdir(bindir)
        os.symlink(pipe, os.path.join(bindir, "pipe"))
        shutil.copy(os.path.join(HERE, "page.html"), work)
        shutil.copy(os.path.join(HERE, "docshow.lua"), work)
        env = dict(os.environ)
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        env["LC_ALL"] = "C.UTF-8"
        for md in args[1:]:
            bl = blocks(md)
            fixes = []
            k = 0
            while k < len(bl):
                line, lang, text = bl[k]
                nxt = bl[k + 1] if k + 1 < len(bl) else None
                k += 1
                if lang not in ("lua", "sh"):
                    continue
                where = "%s:%d" % (md, line)
                m = re.match(r"-- file: (\S+)\n", text + "\n")
                if lang == "lua" and m:
                    dest = os.path.join(work, m.group(1))
                    os.makedirs(os.path.dirname(dest), exist_ok=True)
                    with open(dest, "w", encoding="utf-8") as f:
                        f.write(text + "\n")
                    continue
                if not nxt or nxt[1] != "output":
                    print("FAIL: %s: a %s block without an output block"
                          % (where, lang))
                    failed += 1
                    continue
                k += 1
                want = nxt[2]
                if lang == "lua":
                    with open(os.path.join(work, "example.lua"), "w",
                              encoding="utf-8") as f:
                        f.write(snippet_script(text))
                    rc, out, err = run([pipe, "run", "--url", URL,
                                        "--format", "text", "--fields", "out",
                                        "example.lua", "page.html"], work, env)
                    got = out[:-1] if out.endswith("\n") else out
                    if rc != 0:
                        got = got + "\n[exit %d] %s" % (rc, err)
                else:
                    rc, out, err = run(["sh", "-c", text], work, env, True)
                    got = out
                    got = got[:-1] if got.endswith("\n") else got
                if got == want:
                    passed += 1
                elif update:
                    fixes.append((nxt[0], want.count("\n") + 1 if want else 0, got))
                else:
                    failed += 1
                    print("FAIL: %s\n--- code\n%s\n--- expected\n%s\n"
                          "--- actual\n%s\n---" % (where, text, want, got))
            if fixes:
                with open(md, encoding="utf-8") as f:
                    lines = f.read().split("\n")
                for start, n, got in reversed(fixes):
                    lines[start:start + n] = got.split("\n") if got else []
                with open(md, "w", encoding="utf-8") as f:
                    f.write("\n".join(lines))
                print("%s: %d output blocks updated" % (md, len(fixes)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d examples passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
