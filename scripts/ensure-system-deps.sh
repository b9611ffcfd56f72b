#!/usr/bin/env bash
# Installs (from Debian's packages) what the integration tests start for real: Prometheus, Alertmanager, Chromium and
# PostgreSQL, and builds the Flink harness and the Kafka broker's classpath (jars from Maven Central) — Java 17 and
# Maven come with the machine (checked: a missing one stops here with what to install). The PostgreSQL package's own
# cluster is left alone: tests run their own (test/helpers/postgres.ts).
set -euo pipefail
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ] || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "[flinkscope] installing system packages for integration tests: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's package may start a system Prometheus service on install: it is left alone — the tests run their own on
# a free loopback port beside it and stop only what they started.
for tool in java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "[flinkscope] $tool not found: install a Java 17 JDK and Maven (Debian: apt-get install openjdk-17-jdk-headless maven)" >&2; exit 1; }
done
bash "$(dirname "$0")/build-harness.sh"
bash "$(dirname "$0")/build-kafka.sh"
exit 0
