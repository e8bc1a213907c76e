#!/usr/bin/env bash
# `make audit`: known vulnerabilities in the exact versions installed in .venv.
#
# pip-audit needs packaging >= 22 and Rasa 3.6 pins packaging < 21, so it runs
# from a virtual environment of its own (.audit), fed the frozen list of
# .venv. Advisories that Rasa's pins make impossible to fix are ignored by id
# in scripts/audit-ignore.txt, each with its reason; anything else fails.
#
# The advisory database is PyPI's per-version JSON API (or OSV). Where the
# machine cannot reach it (a closed network with a package mirror only), the
# audit cannot be performed: that is said in one loud line and the exit code
# is 0, unless AUDIT_REQUIRED=1 (then 3).
set -euo pipefail
cd "$(dirname "$0")/.."
AUDIT_VENV=.audit
SERVICE="${AUDIT_SERVICE:-pypi}"
PYTHON="${AUDIT_PYTHON:-python3}"
if [ ! -x "$AUDIT_VENV/bin/pip-audit" ]; then
    $PYTHON -m venv "$AUDIT_VENV"  # unquoted: may be "env PYENV_VERSION=3.10 python3.10"
    "$AUDIT_VENV/bin/pip" install --quiet "pip-audit>=2.7,<3"
fi
frozen="$(mktemp)"; trap 'rm -f "$frozen"' EXIT
.venv/bin/pip freeze --exclude-editable 2>/dev/null | grep -v -e '^-e ' -e '^juzhu' > "$frozen"
# One package whose advisories are known to exist answers whether the database is reachable.
if [ "$SERVICE" = osv ]; then
    probe="https://api.osv.dev/v1/query"; reach=(curl -sf -m 15 -o /dev/null -d '{"package":{"name":"aiohttp","ecosystem":"PyPI"},"version":"3.9.5"}' "$probe")
else
    probe="https://pypi.org/pypi/aiohttp/3.9.5/json"; reach=(curl -sf -m 15 -o /dev/null "$probe")
fi
if ! "${reach[@]}"; then
    echo "AUDIT NOT PERFORMED: the advisory database ($probe) cannot be reached from this machine;" \
         "run \`make audit\` where it can (AUDIT_SERVICE=osv to use OSV instead)."
    [ "${AUDIT_REQUIRED:-0}" = 1 ] && exit 3
    exit 0
fi
ignored=()
while read -r id _; do
    [ -n "$id" ] && [ "${id:0:1}" != "#" ] && ignored+=(--ignore-vuln "$id")
done < scripts/audit-ignore.txt
echo "auditing $(wc -l < "$frozen") installed packages against $SERVICE ($(( ${#ignored[@]} / 2 )) advisories ignored, see scripts/audit-ignore.txt)"
exec "$AUDIT_VENV/bin/pip-audit" --disable-pip --no-deps -r "$frozen" --vulnerability-service "$SERVICE" \
    --progress-spinner off --desc off "${ignored[@]}"
