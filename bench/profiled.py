"""Relay's Daphne (``relay.serve``) under cProfile. On Python 3.12 one profiler sees every
thread, so the ORM work in Daphne's worker threads is included.

    python -m bench.profiled OUT.txt [relay.serve arguments...]

Used by ``python -m bench --profile``. When Daphne stops (SIGTERM), the statistics are written
to OUT.txt, sorted by own time and by cumulative time. Profiling slows the server down:
figures from a profiled run are not comparable with others.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys


def main() -> None:
    out, argv = sys.argv[1], sys.argv[2:]
    from relay.serve import main as serve

    profile = cProfile.Profile()
    profile.enable()
    try:
        serve(argv)
    finally:
        profile.disable()
        text = io.StringIO()
        stats = pstats.Stats(profile, stream=text).strip_dirs()
        stats.sort_stats("tottime").print_stats(45)
        stats.sort_stats("cumulative").print_stats(80)
        with open(out, "w") as f:
            f.write(text.getvalue())


if __name__ == "__main__":
    main()
