#!/bin/sh
# Docker Hub's redis image is built with protected mode off; Debian's redis-server has it on,
# which refuses every other container of the stack. This stand-in turns it off the same way.
set -e
if [ "$1" = redis-server ]; then
    shift
    set -- redis-server "$@" --protected-mode no
fi
exec "$@"
