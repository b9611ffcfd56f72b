#!/usr/bin/env bash
# The Kafka broker's runtime classpath (KRaft, 3.9.1, Maven Central) in harness/kafka/lib, for the fleet integration
# tests and bench:fleet (test/helpers/kafka.ts starts it). Offline when the local Maven repository has it already.
set -euo pipefail
cd "$(dirname "$0")/../harness/kafka"
if [ ! -f lib/kafka_2.13-3.9.1.jar ]; then
  mvn -q -B dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=lib
fi
