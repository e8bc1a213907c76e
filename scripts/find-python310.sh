#!/bin/sh
# Prints a command that runs Python 3.10: the user's own python3.10 first,
# then pyenv's 3.10 (whose shim answers "command not found" unless
# PYENV_VERSION selects it). Exits 1 with a clear message when there is none.
for candidate in "python3.10" "env PYENV_VERSION=3.10 python3.10"; do
    if $candidate -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then
        echo "$candidate"
        exit 0
    fi
done
echo "juzhu needs Python 3.10 (Rasa 3.6 does not run on 3.11+): install python3.10 or 'pyenv install 3.10'" >&2
exit 1
