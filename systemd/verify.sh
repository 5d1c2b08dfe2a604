#!/bin/sh
# Verifies the units: systemd-analyze verify (which needs the binary at the
# ExecStart path) and the offline security exposure score of each.
# Run from anywhere: sh systemd/verify.sh
# If /usr/bin/modx-amocrm (the units' ExecStart) is missing it is built from
# this tree (or, when the tree does not build, replaced by a stand-in) and
# removed afterwards.
set -eu

dir=$(cd "$(dirname "$0")" && pwd)
bin=/usr/bin/modx-amocrm
tmp=$(mktemp -d)
cleanup() {
	if [ -n "${installed:-}" ]; then rm -f "$bin"; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "$bin" ]; then
	installed=1
	if ! (cd "$dir/.." && go build -o "$bin" ./cmd/modx-amocrm); then
		echo "verify.sh: the tree does not build; using a stand-in binary" >&2
		printf '#!/bin/sh\nexit 0\n' >"$bin"
		chmod 0755 "$bin"
	fi
fi

# A template is verified through an instance of it.
cp "$dir/modx-amocrm.service" "$tmp/"
cp "$dir/modx-amocrm@.service" "$tmp/modx-amocrm@shop.service"

status=0
for unit in "$tmp/modx-amocrm.service" "$tmp/modx-amocrm@shop.service"; do
	name=$(basename "$unit")
	# verify only warns about unknown keys: any output counts as a failure.
	if out=$(systemd-analyze verify "$unit" 2>&1) && [ -z "$out" ]; then
		echo "verify $name: ok"
	else
		printf 'verify %s: FAILED\n%s\n' "$name" "$out"
		status=1
	fi
	systemd-analyze security --offline=true --no-pager "$unit" | grep 'Overall exposure level'
done
exit $status
