"""``python -m llmaudit``: the same entry point as the ``llmaudit`` console script."""

from llmaudit.cli import run

if __name__ == "__main__":
    run()
