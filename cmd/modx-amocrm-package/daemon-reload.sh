#!/bin/sh
# postinst and postrm of modx-amocrm: systemd sees units installed, upgraded
# or removed without a reboot. Nothing is enabled or started here: the
# service needs /etc/modx-amocrm/config.toml first.
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
