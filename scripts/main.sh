#!/usr/bin/env bash
# The main job. Until the load engine lands (issue #4) it builds the quick profile of the zoo
# with its in-process baseline and prints the zoo table; it then becomes `ipsbench run`.
source "$(dirname "$0")/bootstrap.sh"
ipsbench models build --profile quick "$@"
ipsbench models list
