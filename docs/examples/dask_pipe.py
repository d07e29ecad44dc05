#!/usr/bin/env python3
"""Extract records from crawl archives on a Dask cluster with pipe.

One Dask task per input file runs `pipe run --output OUT SCRIPT FILE` on
whichever worker gets it.  pipe writes OUT/NAME.ndjson.gz under a
temporary name and renames it when the file is complete, so a task that
dies leaves nothing half-written, and a task run again (Dask reruns the
tasks of a worker that died) redoes only what is missing.  The exit code
and summary line of every task are gathered and printed at the end.

    python3 dask_pipe.py --output OUT [--scheduler ADDRESS | --workers N]
                         [--jobs J] [--pipe PATH] SCRIPT FILE...

Without --scheduler it starts a LocalCluster of N worker processes on this
machine.  With a real cluster, OUT, SCRIPT and the inputs must be at the
same paths on every worker (a shared file system), and pipe installed
there.  Exit code: 0 when every task's pipe exited 0, else 1.
Needs Debian's python3-distributed (run it with /usr/bin/python3).
"""
import argparse
import subprocess
import sys

from dask.distributed import Client, LocalCluster


def extract(path, output, script, pipe, jobs):
    """One task: pipe over one input file; what it said, for the summary."""
    proc = subprocess.run(
        [pipe, "run", "-j", str(jobs), "--output", output, script, path],
        capture_output=True, text=True)
    lines = proc.stderr.splitlines()
    return {"input": path, "exit": proc.returncode,
            "summary": lines[-1] if lines else "", "messages": lines[:-1]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--output", required=True, help="output directory")
    ap.add_argument("--scheduler", help="address of a running scheduler")
    ap.add_argument("--workers", type=int, default=2,
                    help="local worker processes (without --scheduler)")
    ap.add_argument("--jobs", type=int, default=1,
                    help="pipe -j per task (one task per worker at a time)")
    ap.add_argument("--retries", type=int, default=2,
                    help="times a failed task is run again")
    ap.add_argument("--pipe", default="pipe", help="the pipe binary")
    ap.add_argument("script")
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()

    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1,
                               processes=True, dashboard_address=None,
                               host="127.0.0.1")
        client = Client(cluster)
    try:
        futures = client.map(extract, args.inputs, output=args.output,
                             script=args.script, pipe=args.pipe,
                             jobs=args.jobs, pure=False,
                             retries=args.retries)
        results = client.gather(futures)
    finally:
        client.close()
        if cluster:
            cluster.close()
    for r in results:
        for m in r["messages"]:
            print(m, file=sys.stderr)
        print("%s\texit %d\t%s" % (r["input"], r["exit"], r["summary"]))
    return 1 if any(r["exit"] != 0 for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
