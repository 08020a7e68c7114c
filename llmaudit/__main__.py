"""``python -m llmaudit`` and the ``llmaudit`` console script.

Signal handlers go in before the CLI (pandas, pyarrow, rich: most of a second) is imported,
so a Ctrl-C during start-up exits 130 quietly instead of printing a traceback.
"""

import sys

from llmaudit import interrupts


def run() -> None:
    """Console-script entry point."""
    try:
        interrupts.install()
        from llmaudit.cli import main  # lazy on purpose (start-up): after the signal handlers

        code = main()
    except KeyboardInterrupt:
        sys.stderr.write("llmaudit: interrupted\n")
        code = interrupts.exit_code()
    sys.exit(code)


if __name__ == "__main__":
    run()
