#!/usr/bin/env bash
# Installs (from Debian's packages) what the integration tests start for real: Prometheus, Alertmanager and Chromium, and builds
# the Flink harness (Flink jars from Maven Central) — Java 17 and Maven come with the machine.
set -euo pipefail
need=()
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "[flinkscope] installing system packages for integration tests: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Prometheus from Debian starts a system service on install; tests run their own on a free port.
if command -v systemctl >/dev/null 2>&1; then systemctl stop prometheus >/dev/null 2>&1 || true; fi
pkill -x prometheus >/dev/null 2>&1 || true
bash "$(dirname "$0")/build-harness.sh"
exit 0
