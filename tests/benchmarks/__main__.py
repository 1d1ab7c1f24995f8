"""Run every benchmark: each ``tests/benchmarks/bench_*.py`` module's ``main()`` in name order.

``make bench`` runs this; ``python -m tests.benchmarks NAME ...`` runs only the named ones
(``kb`` runs ``bench_kb.py``). Benchmarks print their figures; they never assert on time.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Run the selected benchmarks.

    Args:
        argv: Benchmark names (without ``bench_``); empty means all.

    Returns:
        Process exit code.
    """
    here = Path(__file__).parent
    names = sorted(path.stem for path in here.glob("bench_*.py"))
    wanted = [f"bench_{name}" for name in argv] if argv else names
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        module = importlib.import_module(f"tests.benchmarks.{name}")
        module.main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
