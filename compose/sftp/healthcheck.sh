#!/bin/bash
# Healthy when sshd answers on its port with its SSH banner.
set -euo pipefail
exec 3<>/dev/tcp/127.0.0.1/2222
IFS= read -r -t 4 banner <&3
[[ "$banner" == SSH-2.0-* ]]
