"""The ``zenrun`` command and ``python -m zenrun``.

``zenrun --version`` is answered here, before the session's modules load:
it needs none of them, and loading them is most of its time.
"""

from __future__ import annotations

import sys


def console_main() -> int:
    """The ``zenrun`` console script."""
    if sys.argv[1:] == ["--version"]:
        from zenrun import __version__

        try:
            print(f"zenrun {__version__}", flush=True)
        except BrokenPipeError:  # the reader went away: exit as the session's command does
            from zenrun.capture import silence_stdout

            silence_stdout()
            return 1
        return 0
    from zenrun.heap import startup_imports

    with startup_imports():  # no collection over what importing zenrun creates (zenrun/heap.py)
        from zenrun.main import console_main as run_session

    return run_session()


if __name__ == "__main__":
    sys.exit(console_main())
