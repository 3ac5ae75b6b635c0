"""The entry point of `python -m harness` and of the `imaging-harness` script.

A Ctrl-C before a command runs (while the command line is imported, or before Typer calls the
command) ends like one a moment later: one line and exit code 130, no traceback. Typer itself turns
an unhandled KeyboardInterrupt into exit 130 without a word; the commands handle their own."""

import sys

EXIT_INTERRUPTED = 130
STARTING = "interrupted (Ctrl-C) while starting: nothing was run or written\n"


def main() -> None:
    try:
        from harness.cli import app

        app()
    except SystemExit as e:
        context = e.__context__
        if e.code == EXIT_INTERRUPTED and context is not None and isinstance(context.__cause__, KeyboardInterrupt):
            sys.stderr.write(STARTING)  # Typer's silent answer to a Ctrl-C no command handled
        raise
    except KeyboardInterrupt:
        sys.stderr.write(STARTING)
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
