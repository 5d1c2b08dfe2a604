package modx

import (
	"context"
	"database/sql"
	"time"
)

// What of the old extra still runs, for `check`: its plugin (msOnCreateOrder,
// msOnChangeOrderStatus, OnUserFormSave, OnUserProfileSave), its FormIt
// hook, which FormIt calls from every form that names it in &hooks whether
// the plugin is on or not, and its simpleQueue cron. Names as its 1.9.3
// package installs them (the transport's modPlugin and modSnippet
// vehicles); MODX finds elements case-insensitively, and the docs write
// the hook amoCRMAddContact.
const (
	OldExtraPlugin = "amocrm"
	OldExtraHook   = "amocrmaddcontact"
)

// OldExtraPluginEnabled reports whether the old extra's plugin is installed
// and whether it is enabled: while it is, the extra still sends orders and
// refreshes the token itself.
func (db *DB) OldExtraPluginEnabled(ctx context.Context) (installed, enabled bool, err error) {
	s, err := db.detected(ctx)
	if err != nil || !s.Has("site_plugins", "disabled") {
		return false, false, err
	}
	var disabled []bool
	err = db.each(ctx, "read site_plugins", "SELECT disabled <> 0 FROM "+db.table("site_plugins")+" WHERE LOWER(name) = ? ORDER BY id",
		args(OldExtraPlugin), func(rows *sql.Rows) error {
			var d bool
			err := rows.Scan(&d)
			disabled = append(disabled, d)
			return err
		})
	if err != nil || len(disabled) == 0 {
		return false, false, err
	}
	return true, !disabled[0], nil
}

// Element is a MODX resource, chunk, snippet or template, as `check`
// names it.
type Element struct {
	Kind string // "resource", "chunk", "snippet", "template"
	ID   int64
	Name string // a resource's pagetitle, else the element's name
}

// elementSources are where FormIt calls are written: table, name and code
// columns per kind. Resources in the trash are not rendered.
var elementSources = []struct{ kind, table, name, code, where string }{
	{"resource", "site_content", "pagetitle", "content", " AND deleted = 0"},
	{"chunk", "site_htmlsnippets", "name", "snippet", ""},
	{"snippet", "site_snippets", "name", "snippet", " AND LOWER(name) <> '" + OldExtraHook + "'"},
	{"template", "site_templates", "templatename", "content", ""},
}

// OldExtraHookUses lists the elements whose code names the old extra's
// FormIt hook, in any case: each such form still calls the extra. The
// extra's own snippet is not a use.
func (db *DB) OldExtraHookUses(ctx context.Context) ([]Element, error) {
	s, err := db.detected(ctx)
	if err != nil {
		return nil, err
	}
	var out []Element
	for _, src := range elementSources {
		if !s.Has(src.table, src.code) || !s.Has(src.table, src.name) {
			continue
		}
		q := "SELECT id, COALESCE(`" + src.name + "`, '') FROM " + db.table(src.table) +
			" WHERE LOWER(`" + src.code + "`) LIKE ?" + src.where + " ORDER BY id"
		err := db.each(ctx, "look for the old extra's hook in "+src.table, q, args("%"+OldExtraHook+"%"), func(rows *sql.Rows) error {
			e := Element{Kind: src.kind}
			err := rows.Scan(&e.ID, &e.Name)
			out = append(out, e)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OldQueue is what the old extra left in simpleQueue (amocrm_use_simple_queue):
// its cron, core/components/amocrm/cron/secondlyrunner.php, sends one task
// of service amoCRM a run, those not processed and tried fewer than 5
// times.
type OldQueue struct {
	Tasks   int       // the extra's tasks
	Waiting int       // of them, what its cron would still send
	Newest  time.Time // the newest task's createdon; zero when none
}

// OldExtraQueue reads the extra's tasks in simpleQueue; zero when the
// table is absent.
func (db *DB) OldExtraQueue(ctx context.Context) (OldQueue, error) {
	var q OldQueue
	s, err := db.detected(ctx)
	if err != nil || !s.Has("simplequeue_messages", "service") {
		return q, err
	}
	waiting := "0"
	if s.Has("simplequeue_messages", "processed") && s.Has("simplequeue_messages", "status") {
		waiting = "COALESCE(SUM(processed = 0 AND status < 5), 0)"
	}
	newest := "0"
	if s.Has("simplequeue_messages", "createdon") {
		newest = "COALESCE(UNIX_TIMESTAMP(MAX(createdon)), 0)"
	}
	var unix int64
	err = db.each(ctx, "read the old extra's queue", "SELECT COUNT(*), "+waiting+", "+newest+" FROM "+
		db.table("simplequeue_messages")+" WHERE service = 'amoCRM'", nil, func(rows *sql.Rows) error {
		return rows.Scan(&q.Tasks, &q.Waiting, &unix)
	})
	q.Newest = unixTime(unix)
	return q, err
}
