#!/usr/bin/env bash
# Builds the Flink test harness (harness/): its runtime classpath in harness/lib (Flink 1.20 from Maven Central) and
# the hotspot job jar. Offline when the local Maven repository already has everything.
set -euo pipefail
cd "$(dirname "$0")/../harness"
if [ ! -f lib/flink-runtime-1.20.1.jar ]; then
  mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=lib
fi
if [ ! -f target/flinkscope-harness-0.1.0.jar ] || [ -n "$(find src -newer target/flinkscope-harness-0.1.0.jar -type f)" ]; then
  mvn -q -B package -DskipTests
fi
