package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
)

// oldExtra is what check learned of the old amoCRM extra: whether anything
// of it still sends to amoCRM.
type oldExtra struct {
	plugin bool           // its plugin is enabled
	hooks  []modx.Element // elements naming its FormIt hook
	queue  modx.OldQueue
	queued bool // amocrm_use_simple_queue is on
}

func (o oldExtra) running() bool {
	return o.plugin || len(o.hooks) > 0 || o.queue.Waiting > 0 || o.queued
}

// checkOldExtra names whatever of the old extra still runs, one line each,
// each saying what to do: its plugin, its FormIt hook, its simpleQueue
// cron. While any of them runs, orders, forms or users go to amoCRM twice.
func checkOldExtra(ctx context.Context, c *checkLines, s *site.Site, schema *modx.Schema) oldExtra {
	var o oldExtra
	installed, on, err := s.Shop.OldExtraPluginEnabled(ctx)
	if err == nil {
		o.hooks, err = s.Shop.OldExtraHookUses(ctx)
	}
	if err == nil {
		o.queue, err = s.Shop.OldExtraQueue(ctx)
	}
	var settings map[string]string
	if err == nil {
		settings, err = s.Shop.Settings(ctx, "amocrm_use_simple_queue", modx.OldTokenSetting)
	}
	if err != nil {
		c.fail("old extra", err)
		return o
	}
	o.plugin, o.queued = on, phpTrue(settings["amocrm_use_simple_queue"])

	deals, forms, contacts, err := s.Shop.OldLinkCounts(ctx)
	if err != nil {
		c.fail("old extra", err)
		return o
	}
	left := oldLeftovers(schema, deals, forms, contacts, settings[modx.OldTokenSetting] != "")
	switch {
	case on:
		c.warn("old extra", "the amoCRM extra's plugin %q is enabled: it sends every order, status change and user too, and refreshes the token "+
			"itself; disable it in the manager (Elements, Plugins, %s: \"Plugin disabled\") before `modx-amocrm run`", modx.OldExtraPlugin, modx.OldExtraPlugin)
	case installed || len(left) > 0:
		c.ok("old extra", "the amoCRM extra's plugin is not enabled; it left %s", strings.Join(left, ", "))
	default:
		c.ok("old extra", "the amoCRM extra is not installed")
	}
	if len(o.hooks) > 0 {
		c.warn("old hook", "the extra's FormIt hook %s is named in %s: each of these forms still sends to amoCRM through the extra, "+
			"its plugin on or off; take %s out of their &hooks (keep FormItSaveForm: modx-amocrm reads the forms it saves)",
			modx.OldExtraHook, elementList(o.hooks), modx.OldExtraHook)
	}
	switch {
	case o.queue.Waiting > 0:
		c.warn("old queue", "%d of the extra's simpleQueue tasks wait (the newest from %s): %s", o.queue.Waiting,
			o.queue.Newest.UTC().Format("2006-01-02 15:04 MST"), queueAdvice)
	case o.queued:
		c.warn("old queue", "amocrm_use_simple_queue is on: the extra queues what it sends and %s", queueAdvice)
	}
	return o
}

// queueAdvice says where the extra's cron is: hosting panels and crontabs
// differ, so check can only say what to look for.
const queueAdvice = "its cron runs core/components/amocrm/cron/secondlyrunner.php every minute and sends them; find the line with " +
	"`crontab -l -u <the web server's user> | grep secondlyrunner` (or in the hosting panel's cron jobs) and remove it"

// oldLeftovers lists what the extra left that modx-amocrm takes over.
func oldLeftovers(schema *modx.Schema, deals, forms, contacts int, token bool) []string {
	var left []string
	if schema.OldLeads {
		left = append(left, fmt.Sprintf("amocrm_leads (%d order deals, %d form deals)", deals, forms))
	}
	if schema.OldUsers {
		left = append(left, fmt.Sprintf("amocrm_users (%d contacts)", contacts))
	}
	if schema.OldStatus {
		left = append(left, "amocrm_status")
	}
	if token {
		left = append(left, "amocrm_token_field")
	}
	if len(left) > 0 {
		left[len(left)-1] += ": the first run takes over its links"
	}
	return left
}

// elementList names elements for a check line: `resource 12 "Контакты"`,
// at most shownElements of them.
func elementList(els []modx.Element) string {
	const shownElements = 8
	var parts []string
	for _, e := range els[:min(len(els), shownElements)] {
		parts = append(parts, fmt.Sprintf("%s %d %q", e.Kind, e.ID, e.Name))
	}
	if more := len(els) - shownElements; more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(parts, ", ")
}

// phpTrue is a setting's truth as the extra tests it, PHP's: any string
// but "" and "0".
func phpTrue(v string) bool { return v != "" && v != "0" }

// checkOldToken: a token taken over from the extra (auth -from-modx) must
// be used by one of the two only, since amoCRM's refresh tokens are
// single-use. The extra's amocrm_token_field is compared, by fingerprint,
// with the token taken and with ours; nothing of a token is printed.
func checkOldToken(ctx context.Context, c *checkLines, s *site.Site, extra oldExtra) {
	taken, ok, err := s.Store.Meta(ctx, metaOldTokenTaken)
	if err != nil || !ok {
		if err != nil {
			c.fail("old token", err)
		}
		return
	}
	theirs, err := s.Shop.OldExtraToken(ctx)
	if errors.Is(err, modx.ErrNoOldToken) {
		c.ok("old token", "the token taken over from the extra is modx-amocrm's alone: amocrm_token_field is empty")
		return
	}
	if err != nil {
		c.fail("old token", err)
		return
	}
	ours, err := s.Store.LoadToken(ctx, site.TokenName(s.Config.AmoBaseURL()))
	if err != nil {
		c.fail("old token", err)
		return
	}
	theirsFP, oursFP := tokenFingerprint(theirs.RefreshToken), ""
	if ours != nil {
		oursFP = tokenFingerprint(ours.RefreshToken)
	}
	switch {
	case theirsFP != taken && oursFP == taken:
		c.fail("old token", fmt.Errorf("the extra refreshed the token after `modx-amocrm auth -from-modx` took it over: amoCRM's refresh "+
			"tokens are single-use, so the one modx-amocrm holds stops working when its access token expires; stop the extra "+
			"(the lines above), then run `modx-amocrm auth -from-modx` again"))
	case theirsFP == oursFP && extra.running():
		c.warn("old token", "the extra still runs with the token modx-amocrm took over: whichever of the two refreshes it first "+
			"locks the other out (refresh tokens are single-use); stop the extra now (the lines above)")
	case theirsFP != taken && theirsFP != oursFP && extra.running():
		c.warn("old token", "the extra runs with a token of its own (its amocrm_token_field changed since the takeover): "+
			"it still writes to amoCRM beside modx-amocrm; stop it (the lines above)")
	default:
		c.ok("old token", "the token taken over from the extra is modx-amocrm's alone")
	}
}
