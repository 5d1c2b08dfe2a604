#!/usr/bin/env bash
# Renders the sample HTML report in headless Chromium (Debian's chromium
# package; CI does not install it) and checks that the page's script ran:
# the script fills <output id="shown"> with the number of rows the filters
# let through, so the dumped DOM must hold the right number, unfiltered and
# with a filter set in the URL fragment. Leaves report.html, report.png,
# report-open.png (every diff expanded) and the dumped DOMs in the directory
# given as $1 (default: a new temp dir).
# Network is mapped to nowhere: the page must need nothing from outside.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
out=${1:-$(mktemp -d)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
page="$out/report.html"

command -v chromium >/dev/null || { echo "chromium not found: apt-get install -y chromium" >&2; exit 1; }
(cd "$root" && go test ./internal/report -run '^TestWriteSampleHTML$' -count=1 -sample-out="$page")

chrome() {
	local profile
	profile=$(mktemp -d)
	chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run \
		--host-resolver-rules='MAP * ~NOTFOUND' \
		--user-data-dir="$profile" "$@" 2>/dev/null
	rm -rf "$profile"
}

# check FRAGMENT WANT: the page opened at #FRAGMENT shows WANT rows.
check() {
	local fragment=$1 want=$2 dom got
	dom="$out/dom${fragment:+-${fragment//[^a-z0-9]/_}}.html"
	chrome --dump-dom "file://$page#$fragment" >"$dom"
	got=$(sed -n 's/.*<output id="shown">\([0-9]*\)<\/output>.*/\1/p' "$dom")
	if [[ "$got" != "$want" ]]; then
		echo "FAIL #$fragment: shown=${got:-<not filled>}, want $want (see $dom)" >&2
		exit 1
	fi
	echo "ok   #$fragment: $got rows shown"
}

total=$(grep -c '<tr class="e"' "$page")
fails=$(grep -c '<tr class="e" data-action="fail"' "$page")
contacts=$(grep -c '<tr class="e" data-action="[a-z]*" data-kind="contact"' "$page")
check "" "$total"
check "action=fail" "$fails"
check "kind=contact" "$contacts"
# a case-insensitive Cyrillic search: "заказ с сайта 2312" finds "Заказ с сайта 2312/1"
check "q=%D0%B7%D0%B0%D0%BA%D0%B0%D0%B7%20%D1%81%20%D1%81%D0%B0%D0%B9%D1%82%D0%B0%202312" 1

chrome --screenshot="$out/report.png" --window-size=1280,900 "file://$page"
# the same page with every diff expanded, to look at the highlighting
sed 's/<details>/<details open>/' "$page" >"$out/report-open.html"
chrome --screenshot="$out/report-open.png" --window-size=1280,1800 "file://$out/report-open.html"
echo "screenshots: $out/report.png $out/report-open.png"
