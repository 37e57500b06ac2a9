#!/usr/bin/env bash
# PostgreSQL backups of Brújula Circular (run by brujula-respaldo.timer and
# brujula-respaldo-prueba.timer; tests/e2e/test_replicas.py runs both commands).
#
#   respaldo.sh respaldar          pg_dump (custom format) of DATABASE_URL into $BRUJULA_RESPALDOS
#                                  (default /var/backups/brujula); deletes dumps older than
#                                  $BRUJULA_RESPALDOS_DIAS days (default 14)
#   respaldo.sh probar [ARCHIVO]   restores a dump (default: the newest) into a new scratch
#                                  database on the same server, checks it, prints the row count
#                                  of every table next to the live database's, and drops it
#
# The database is BRUJULA_RESPALDO_URL if set (replicas behind PgBouncer: pg_dump needs a direct
# connection), else DATABASE_URL; both as the app writes them (postgresql+psycopg://...). The
# scratch database is created through the server's "postgres" database: the role needs CREATEDB.
set -euo pipefail

RESPALDOS="${BRUJULA_RESPALDOS:-/var/backups/brujula}"
DIAS="${BRUJULA_RESPALDOS_DIAS:-14}"

fail() {
  echo "respaldo: $*" >&2
  exit 1
}

SOURCE="${BRUJULA_RESPALDO_URL:-${DATABASE_URL:-}}"
[ -n "$SOURCE" ] || fail "falta DATABASE_URL (el mismo archivo de entorno de las réplicas)."
# libpq does not know SQLAlchemy's driver suffix.
LIVE="${SOURCE/postgresql+psycopg:\/\//postgresql://}"
LIVE="${LIVE/postgres:\/\//postgresql://}"
case "$LIVE" in
  postgresql://*) ;;
  *) fail "DATABASE_URL no es de PostgreSQL; las copias de SQLite son copias del archivo." ;;
esac

# The same URL with another database name (query string kept).
with_database() {
  local url="$1" name="$2" rest query=""
  rest="${url#postgresql://}"
  if [[ "$rest" == *\?* ]]; then
    query="?${rest#*\?}"
    rest="${rest%%\?*}"
  fi
  echo "postgresql://${rest%%/*}/${name}${query}"
}

table_counts() {
  # One "table rows" line per table of the app's schema (search_path), sorted.
  psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) FROM %I', table_name, table_name)
FROM information_schema.tables
WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
ORDER BY table_name
\gexec
SQL
}

respaldar() {
  mkdir -p "$RESPALDOS"
  local file
  file="$RESPALDOS/brujula-$(date +%Y%m%d-%H%M%S).dump"
  pg_dump --format=custom --no-owner --no-privileges --file="$file.parcial" -d "$LIVE"
  mv "$file.parcial" "$file"  # a dump that is listed is complete
  find "$RESPALDOS" -maxdepth 1 -name 'brujula-*.dump' -mtime +"$DIAS" -delete
  echo "Respaldo listo: $file ($(du -h "$file" | cut -f1))."
}

probar() {
  local file="${1:-}"
  if [ -z "$file" ]; then
    file="$(find "$RESPALDOS" -maxdepth 1 -name 'brujula-*.dump' | sort | tail -n 1)"
    [ -n "$file" ] || fail "no hay respaldos en $RESPALDOS."
  fi
  [ -r "$file" ] || fail "no se puede leer $file."
  local scratch admin target
  scratch="brujula_prueba_restauracion_$(date +%Y%m%d%H%M%S)_$$"
  admin="$(with_database "$LIVE" postgres)"
  target="$(with_database "$LIVE" "$scratch")"
  psql -X -q -v ON_ERROR_STOP=1 -d "$admin" -c "CREATE DATABASE \"$scratch\""
  # shellcheck disable=SC2064  # expand now: the names are fixed
  trap "psql -X -q -d '$admin' -c 'DROP DATABASE IF EXISTS \"$scratch\"' >/dev/null" EXIT
  pg_restore --no-owner --no-privileges --exit-on-error -d "$target" "$file"
  local version
  version="$(psql -X -A -t -v ON_ERROR_STOP=1 -d "$target" -c 'SELECT version_num FROM alembic_version')"
  [ -n "$version" ] || fail "el respaldo restaurado no tiene versión de esquema (alembic_version)."
  echo "Restauración correcta: $file en la base temporal $scratch (esquema $version)."
  echo "tabla filas_en_respaldo filas_en_vivo"
  LC_ALL=C join <(table_counts "$target" | LC_ALL=C sort) <(table_counts "$LIVE" | LC_ALL=C sort)
  echo "La base temporal $scratch se borra al terminar."
}

case "${1:-}" in
  respaldar) respaldar ;;
  probar) probar "${2:-}" ;;
  *) fail "uso: respaldo.sh respaldar | respaldo.sh probar [ARCHIVO]" ;;
esac
