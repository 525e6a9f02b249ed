"""The `locbench` command: thin parsing and printing; the work lives in the libraries.

Each command group lives in `locbench/commands/<group>.py` and exposes `register(app)`.
Heavy imports (torch, matplotlib) happen inside the commands, so `--help` stays fast.
Errors raised on purpose (LocbenchError, georbias.GeoBiasInputError) become one readable
message on stderr and exit code 2; Ctrl-C becomes "interrupted" and exit 130 (locbench.interrupt).
"""

from __future__ import annotations

import os
import sys

import typer

from locbench.commands import datasets, encoders, evaluate, geobias, leaderboard, submit, sweep

app = typer.Typer(
    name="locbench",
    help="Benchmark location encoders and geo-foundation models, with Geo-Bias Scores and a versioned leaderboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

@app.callback()
def _root() -> None:
    """locbench: benchmark location encoders and GeoFMs, with Geo-Bias Scores and a versioned leaderboard."""


@app.command("version")
def version() -> None:
    """Print the locbench and georbias versions."""
    import georbias

    import locbench

    typer.echo(f"locbench {locbench.__version__} (georbias {georbias.__version__})")


for _module in (evaluate, datasets, encoders, geobias, submit, leaderboard, sweep):
    _module.register(app)


def _expected_errors() -> tuple[type[BaseException], ...]:
    from locbench.errors import LocbenchError

    from georbias.errors import GeoBiasInputError

    return (LocbenchError, GeoBiasInputError)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, map expected errors to exit code 2 with a clear message.

    File-system failures (permission denied, disk full, a folder where a file is expected) are the
    user's environment, not a bug: exit 2 naming the file. Anything else is a bug in locbench: one
    line saying so, exit 1, and the traceback only with LOCBENCH_DEBUG=1.
    """
    from locbench import atomic, interrupt

    expected = _expected_errors()
    try:
        with interrupt.handling_sigint(), atomic.published_guard():  # never writes inside leaderboard/vNNNN/
            app(args=argv, prog_name="locbench")
    except (interrupt.Interrupted, KeyboardInterrupt):  # Ctrl-C: one line, exit 130; atomic writes removed their temporaries
        interrupt.say_interrupted()
        return interrupt.EXIT_CODE
    except SystemExit as exc:  # typer always ends with SystemExit in standalone mode
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except expected as exc:  # type: ignore[misc]
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {_os_error_text(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        if os.environ.get("LOCBENCH_DEBUG"):
            raise
        print(f"internal error (a bug in locbench; please report it, LOCBENCH_DEBUG=1 shows the traceback): "
              f"{type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1
    return 0


def _os_error_text(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    if exc.filename is not None:
        return f"{exc.filename}: {what}"
    return what


def run() -> None:  # console-script shim
    code = main()
    if code == 130:  # interrupted: unwound and cleaned up already; skip interpreter finalisation, which
        from locbench import interrupt   # otherwise waits on worker threads still inside C code (seconds)

        interrupt.exit_now()
    sys.exit(code)


if __name__ == "__main__":
    run()
