"""Rebuild pricing/litellm-snapshot.json from LiteLLM's price list.

    python scripts/refresh_litellm_prices.py                  # the installed litellm's bundled copy
    python scripts/refresh_litellm_prices.py --url            # LiteLLM's main branch (network)
    python scripts/refresh_litellm_prices.py PATH_OR_URL
    python scripts/refresh_litellm_prices.py --retired-release 1.72.0   # plus models LiteLLM has since removed

``--retired-release VERSION`` (or ``--retired FILE --retired-version VERSION``) adds the
models an older LiteLLM release priced and the current list no longer holds (o1-mini,
claude-3-opus, gemini-1.5-pro...), each marked ``"retired": "VERSION"``: a lower layer,
never replacing a current entry nor taking a name a current maker's own entry answers to.
The release's wheel is fetched from PyPI with ``pip download`` (its bundled
``model_prices_and_context_window_backup.json`` is read from the wheel).

The list goes through the same importer as ``llmaudit pricing import litellm`` (every entry
checked against the price-table schema and its unit checks; what it cannot carry is
skipped), and is written as one JSON object, one model a line, so a refresh reviews as a
diff. LiteLLM is MIT-licensed (c) 2023 Berri AI; the file says so. This script is the
only place the snapshot touches the network, and only with a URL: tests never call it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import subprocess
import sys
import tempfile
import zipfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from llmaudit.pricing.fallback import FILE_NAME, FIRST_PARTY  # noqa: E402
from llmaudit.pricing.fetch import FetchOptions, read_price_list  # noqa: E402
from llmaudit.pricing.importers import IMPORTERS, ImportFilters  # noqa: E402

UPSTREAM = "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json"
LICENSE = "MIT License, Copyright (c) 2023 Berri AI (https://github.com/BerriAI/litellm/blob/main/LICENSE)"


def bundled() -> tuple[str, str]:
    """The installed litellm's bundled copy of the list, and litellm's version. Found without
    importing litellm: its import fetches the list over the network."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:
        raise SystemExit("litellm is not installed: pass a file or --url")
    path = Path(spec.origin).parent / "model_prices_and_context_window_backup.json"
    return str(path), importlib.metadata.version("litellm")


def release_prices(version: str) -> str:
    """The price list bundled in litellm ``version``'s wheel, from PyPI, extracted to a temporary file."""
    folder = Path(tempfile.mkdtemp(prefix="litellm-"))
    command = [sys.executable, "-m", "pip", "download", f"litellm=={version}", "--no-deps", "-q", "-d", str(folder)]
    subprocess.run(command, check=True)
    wheel = next(folder.glob("litellm-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        target = folder / "model_prices_and_context_window_backup.json"
        target.write_bytes(archive.read("litellm/model_prices_and_context_window_backup.json"))
    return str(target)


def retired_models(
    current: dict[str, dict[str, object]], older: dict[str, dict[str, object]], version: str
) -> dict[str, dict[str, object]]:
    """``older``'s models that ``current`` no longer holds, marked with the release that had them.

    A name some current entry of a model maker's own API answers to (its key's last part:
    ``mistral/mistral-large-latest`` answers to ``mistral-large-latest``) stays with it."""
    names = {key.lower() for key in current}
    names |= {key.rsplit("/", 1)[1].lower() for key in current if "/" in key and key.split("/", 1)[0] in FIRST_PARTY}
    return {key: {**fields, "retired": version} for key, fields in older.items() if key.lower() not in names}


def render(models: dict[str, dict[str, object]], header: dict[str, object]) -> str:
    lines = [json.dumps(key) + ": " + json.dumps(fields, sort_keys=False) for key, fields in models.items()]
    head = json.dumps(header, indent=1)[:-2]  # the header object, left open for "models"
    return head + ',\n "models": {\n' + ",\n".join("  " + line for line in lines) + "\n }\n}\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("source", nargs="?", help="a file or https URL of model_prices_and_context_window.json")
    parser.add_argument("--url", action="store_true", help=f"fetch {UPSTREAM}")
    parser.add_argument("--output", type=Path, default=ROOT / "pricing" / FILE_NAME)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    parser.add_argument("--retired-release", metavar="VERSION", help="add models this older litellm release priced")
    parser.add_argument("--retired", metavar="FILE", help="an older release's price list (with --retired-version)")
    parser.add_argument("--retired-version", metavar="VERSION", help="the release --retired FILE comes from")
    args = parser.parse_args()
    if bool(args.retired) != bool(args.retired_version):
        parser.error("--retired FILE and --retired-version VERSION go together")
    installed = None
    if args.url:
        location = UPSTREAM
    elif args.source:
        location = args.source
    else:
        location, installed = bundled()
    fetched = read_price_list(location, FetchOptions())
    version = installed or fetched.version
    label = location if location.startswith("https://") else Path(location).name
    source = f"LiteLLM {version + ' ' if version else ''}model_prices_and_context_window.json ({label})"
    result = IMPORTERS["litellm"].convert(fetched.data, source=source, as_of=args.as_of, filters=ImportFilters())
    models = {key: dict(fields) for key, fields in sorted(result.models.items())}
    retired_from = args.retired_release or args.retired_version
    retired: dict[str, dict[str, object]] = {}
    if retired_from:
        older_path = args.retired or release_prices(retired_from)
        older = IMPORTERS["litellm"].convert(
            read_price_list(older_path, FetchOptions()).data,
            source=f"LiteLLM {retired_from}",
            as_of=args.as_of,
            filters=ImportFilters(),
        )
        retired = retired_models(models, {k: dict(v) for k, v in older.models.items()}, retired_from)
        models = dict(sorted({**models, **retired}.items()))
    header = {
        "schema_version": 1,
        "name": "litellm-snapshot",
        "source": source,
        "as_of": args.as_of.isoformat(),
        "license": LICENSE,
        "notes": f"{len(models) - len(retired)} models; {len(result.skipped)} entries skipped by the importer "
        "(not text generation, no per-token price, or implausible); refreshed by scripts/refresh_litellm_prices.py",
    }
    if retired_from:
        header["retired"] = (
            f"{len(retired)} models from LiteLLM {retired_from} that the current list no longer holds, "
            'each marked "retired"; a lower layer (--retired-release)'
        )
    args.output.write_text(render(models, header), encoding="utf-8")
    print(f"wrote {len(models):,} models to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
