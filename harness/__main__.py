"""The entry point of `python -m harness` and of the `imaging-harness` script.

A Ctrl-C while the command line is still being imported ends like one a moment later: one line and
exit code 130, no traceback."""

import sys


def main() -> None:
    try:
        from harness.cli import main as cli_main
    except KeyboardInterrupt:
        sys.stderr.write("interrupted (Ctrl-C) while starting: nothing was run or written\n")
        sys.exit(130)
    cli_main()


if __name__ == "__main__":
    main()
