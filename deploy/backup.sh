#!/bin/sh
# Relay's backup: one directory per run holding
#   audit-anchors.tar.gz  the signed audit checkpoints (taken first: every checkpoint in it
#                         names an event the dump holds)
#   database.dump         pg_dump of the whole database, custom format (ciphertext only:
#                         the server never holds content in clear)
#   attachments.tar.gz    the attachment store (encrypted files only)
#   SHA256SUMS            checksums of the three, checked by restore.sh
# It never copies RELAY_SECRET_KEY or RELAY_AUDIT_KEY: keep those apart (docs/operations.md).
#
# Usage: deploy/backup.sh [DESTINATION]       (prints the new backup's directory)
# Environment:
#   DATABASE_URL                 the database to dump (required)
#   RELAY_BACKUP_DIR             where backups go when no DESTINATION is given (./backups)
#   RELAY_ATTACHMENT_DIR         the attachment store (var/attachments)
#   RELAY_AUDIT_CHECKPOINT_DIR   the audit checkpoints (var/audit-checkpoints)
#   RELAY_BACKUP_ANCHOR_DIR      a second place for the anchors, apart from the dumps (optional)
#   RELAY_BACKUP_KEEP_DAYS       backups older than this are removed (35; 0 keeps all)
set -eu

: "${DATABASE_URL:?DATABASE_URL must name the database to back up}"
DESTINATION="${1:-${RELAY_BACKUP_DIR:-./backups}}"
ATTACHMENTS="${RELAY_ATTACHMENT_DIR:-var/attachments}"
CHECKPOINTS="${RELAY_AUDIT_CHECKPOINT_DIR:-var/audit-checkpoints}"
KEEP_DAYS="${RELAY_BACKUP_KEEP_DAYS:-35}"

umask 077
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT="$DESTINATION/relay-$STAMP"
WORK="$OUT.partial"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

archive() {  # archive NAME DIRECTORY: the directory's contents, or an empty archive
    if [ -d "$2" ]; then
        tar -C "$2" -czf "$WORK/$1" .
    else
        tar -czf "$WORK/$1" -T /dev/null
    fi
}

# 1. The anchors first, so none of them names an event newer than the dump.
archive audit-anchors.tar.gz "$CHECKPOINTS"
# 2. The database: one consistent snapshot.
pg_dump --format=custom --no-owner --no-privileges --dbname="$DATABASE_URL" \
    --file="$WORK/database.dump"
# 3. The attachment store. A file added after the dump is an orphan the restore ignores; a
#    file shredded after it is gone, as it should be.
archive attachments.tar.gz "$ATTACHMENTS"

(cd "$WORK" && sha256sum audit-anchors.tar.gz attachments.tar.gz database.dump > SHA256SUMS)
mv "$WORK" "$OUT"
trap - EXIT

if [ -n "${RELAY_BACKUP_ANCHOR_DIR:-}" ]; then
    mkdir -p "$RELAY_BACKUP_ANCHOR_DIR"
    cp "$OUT/audit-anchors.tar.gz" "$RELAY_BACKUP_ANCHOR_DIR/relay-$STAMP-audit-anchors.tar.gz"
fi

# Retention reaches backups too: a shredded case stays in older backups until they go.
if [ "$KEEP_DAYS" -gt 0 ]; then
    find "$DESTINATION" -mindepth 1 -maxdepth 1 -type d -name 'relay-*' \
        -mtime +"$KEEP_DAYS" -exec rm -rf {} +
fi

echo "$OUT"
