#!/bin/sh
# Restore a backup made by deploy/backup.sh into a fresh, empty database, then check it.
#
# Usage: deploy/restore.sh BACKUP_DIRECTORY
# Environment:
#   DATABASE_URL                 the new, EMPTY database to restore into (required)
#   RELAY_AUDIT_KEY              the same audit key as when the backup was made (required:
#                                without it the audit log cannot be verified)
#   RELAY_ATTACHMENT_DIR         the attachment store to fill (var/attachments)
#   RELAY_AUDIT_CHECKPOINT_DIR   the audit checkpoints (var/audit-checkpoints); the file there
#                                is kept beside as checkpoints.log.before-restore-<time>
#   RELAY_MANAGE                 how to run manage.py (python manage.py); "none" stops after
#                                the files (for the postgres image, which has no Relay): then
#                                run migrate, verify_audit_log and apply_retention in a Relay
#                                container yourself
#
# Steps: check the checksums; refuse a database that already has tables; pg_restore;
# unpack the attachments and the anchors; migrate (a newer release may restore an older
# dump); verify the audit log against the restored anchors; and apply retention at once,
# so a case whose time passed since the backup is shredded again before anyone signs in.
set -eu

BACKUP="${1:?usage: deploy/restore.sh BACKUP_DIRECTORY}"
: "${DATABASE_URL:?DATABASE_URL must name the new, empty database}"
ATTACHMENTS="${RELAY_ATTACHMENT_DIR:-var/attachments}"
CHECKPOINTS="${RELAY_AUDIT_CHECKPOINT_DIR:-var/audit-checkpoints}"
MANAGE="${RELAY_MANAGE:-python manage.py}"
if [ "$MANAGE" != "none" ]; then
    : "${RELAY_AUDIT_KEY:?RELAY_AUDIT_KEY must be the audit key in use when the backup was made}"
fi

echo "==> Checking the backup's checksums"
(cd "$BACKUP" && sha256sum --check --quiet SHA256SUMS)

TABLES="$(psql --dbname="$DATABASE_URL" --no-psqlrc --tuples-only --no-align \
    --command="SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
if [ "$TABLES" != "0" ]; then
    echo "Refusing to restore: the target database already has $TABLES tables." >&2
    echo "Create a new, empty database and point DATABASE_URL at it." >&2
    exit 2
fi

echo "==> Restoring the database"
pg_restore --no-owner --no-privileges --exit-on-error --dbname="$DATABASE_URL" \
    "$BACKUP/database.dump"

echo "==> Restoring the attachment store"
mkdir -p "$ATTACHMENTS"
tar -C "$ATTACHMENTS" -xzf "$BACKUP/attachments.tar.gz"

echo "==> Restoring the audit anchors"
mkdir -p "$CHECKPOINTS"
if [ -f "$CHECKPOINTS/checkpoints.log" ]; then
    mv "$CHECKPOINTS/checkpoints.log" \
        "$CHECKPOINTS/checkpoints.log.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
fi
tar -C "$CHECKPOINTS" -xzf "$BACKUP/audit-anchors.tar.gz"

if [ "$MANAGE" = "none" ]; then
    echo "==> Files restored. Now, in a Relay container with the same RELAY_AUDIT_KEY, run:"
    echo "    manage.py migrate --noinput && manage.py verify_audit_log && manage.py apply_retention"
    exit 0
fi
echo "==> Migrating"
$MANAGE migrate --noinput
echo "==> Verifying the audit log"
$MANAGE verify_audit_log
echo "==> Applying retention (cases whose period passed since the backup are shredded again)"
$MANAGE apply_retention
echo "==> Restore complete"
