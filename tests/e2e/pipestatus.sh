#!/bin/bash
# Runs "$@" | head -1 and prints the exit status of "$@" (stderr kept).
"$@" | head -c 1 > /dev/null
echo "${PIPESTATUS[0]}"
