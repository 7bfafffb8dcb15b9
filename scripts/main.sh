#!/usr/bin/env bash
# The main job: `ipsbench run` on the quick profile against the embedded reference server
# (it builds the models it needs, starts the server on 127.0.0.1, runs, stops it).
source "$(dirname "$0")/bootstrap.sh"
ipsbench run "$@"
