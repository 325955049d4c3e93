#!/bin/bash -eu
# ClusterFuzzLite build: the same as OSS-Fuzz's (oss-fuzz/build.sh).
exec "$SRC/hz3/oss-fuzz/build.sh" "$@"
