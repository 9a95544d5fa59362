#!/usr/bin/env bash
# End to end through a loopback docker-registry versus the same conversion of the OCI layout:
#   bench-registry.sh LAYOUT CONVERTOR
# LAYOUT (tag latest) is copied, never changed. Prints seconds per phase and the ratio.
set -euo pipefail
layout=$1
convertor=$(realpath "$2")
[ -f "$layout/index.json" ] || { echo "no OCI layout at $layout" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-registry.XXXXXX")
reg_pid=
cleanup() { [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/registry.yml" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$work/registry.yml" 2> "$work/registry.log" &
reg_pid=$!
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null && break
  sleep 0.1
done

secs() { python3 -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.2f}")' "$1"; }
now() { python3 -c 'import time; print(time.time())'; }
size=$(du -sb "$layout/blobs" | cut -f1)
targets=(-i latest --overlaybd obd --turboOCI turbo)

cp -r "$layout" "$work/layout"
t=$(now)
"$convertor" -r "oci:$work/layout" "${targets[@]}" -d "$work/w-layout" > /dev/null
layout_s=$(secs "$t")

repo=127.0.0.1:$port/bench
t=$(now)
"$convertor" copy --plain "oci:$layout:latest" "$repo:latest" > /dev/null
copy_s=$(secs "$t")
t=$(now)
"$convertor" -r "$repo" --plain "${targets[@]}" -d "$work/w-registry" > /dev/null
registry_s=$(secs "$t")

echo "image: $layout ($((size / 1048576)) MiB of blobs), convertor: $convertor"
echo "layout conversion (both formats):              ${layout_s} s"
echo "registry: copy in                              ${copy_s} s"
echo "registry: pull + convert + push (both formats) ${registry_s} s"
python3 - "$layout_s" "$copy_s" "$registry_s" <<'PY'
import sys
layout, copy, reg = map(float, sys.argv[1:])
print(f"registry run / layout run:                     {reg / layout:.2f}x")
print(f"copy in + registry run / layout run:           {(copy + reg) / layout:.2f}x")
PY
