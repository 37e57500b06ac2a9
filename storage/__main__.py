"""Command line of the storage package: ``python -m storage migrar``."""

from __future__ import annotations

import argparse
import sys

from storage.db import database_url, migrate, normalize_url, safe_url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m storage", description="Administración de la base de datos."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="comando")
    migrar = commands.add_parser(
        "migrar", help="Crea o actualiza las tablas a la última versión del esquema."
    )
    migrar.add_argument(
        "--url",
        help="URL de la base de datos (por defecto DATABASE_URL o el archivo SQLite local).",
    )
    args = parser.parse_args(argv)
    url = normalize_url(args.url or database_url())
    try:
        revision = migrate(url)
    except Exception as exc:  # the one boundary where errors become user-facing text
        print(f"No se pudo migrar la base de datos {safe_url(url)}: {exc}", file=sys.stderr)
        return 1
    print(f"Base de datos al día: {safe_url(url)} (revisión {revision}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
