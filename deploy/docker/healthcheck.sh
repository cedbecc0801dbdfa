#!/bin/bash
# Probes newswatch's HTTP listener without curl or wget (the runtime image has neither):
#   newswatch-healthcheck [PATH] [PORT]     defaults: /healthz 9464
# Exit 0 when GET http://127.0.0.1:PORT/PATH answers 200, 1 otherwise (connection refused,
# 503 from /readyz, no answer within 3 s). Used by the Dockerfile's HEALTHCHECK.
set -u
path="${1:-/healthz}"
port="${2:-9464}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "${path}" >&3
IFS= read -r -t 3 status <&3 || exit 1
exec 3>&-
[[ "${status}" =~ ^HTTP/1\.[01]\ 200\  ]]
