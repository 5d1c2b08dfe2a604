package modxtest

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// The amoCRM extra 1.9.3 as its package installs it, read from
// core/packages/amocrm-1.9.3-pl.transport.zip of dansolo108/autentiments.com
// (commit f036c832): the tables of model/schema/amocrm.mysql.schema.xml
// (defaultEngine MyISAM; every column null="false" with no default, so
// NOT NULL without one), the modSystemSetting vehicles, the plugin
// "amocrm" on four events and the snippet "amocrmaddcontact" (the docs call
// the FormIt hook amoCRMAddContact; MODX finds elements case-insensitively).

// OldExtraPlugin and OldExtraSnippet are the extra's element names as its
// package installs them.
const (
	OldExtraPlugin  = "amocrm"
	OldExtraSnippet = "amocrmaddcontact"
)

// OldExtraSetting is one system setting the extra's package installs.
type OldExtraSetting struct{ Key, Value, XType, Area string }

// OldExtraSettings are the 30 settings of the package, with the values
// they are stored with: xPDO writes a vehicle's JSON true as '1' and false
// as an empty string (reference §2.5). amocrm_domain,
// amocrm_protocol and amocrm_spam_modx_log are read by its code but not
// installed.
var OldExtraSettings = []OldExtraSetting{
	{"amocrm_account", "", "textfield", "amocrm_main"},
	{"amocrm_client_id", "", "textfield", "amocrm_main"},
	{"amocrm_client_secret", "", "textfield", "amocrm_main"},
	{"amocrm_client_code", "", "textfield", "amocrm_main"},
	{"amocrm_use_simple_queue", "", "combo-boolean", "amocrm_main"},
	{"amocrm_form_as_lead", "", "combo-boolean", "amocrm_main"},
	{"amocrm_save_user_in_mgr", "", "combo-boolean", "amocrm_main"},
	{"amocrm_save_user_by_profile", "", "combo-boolean", "amocrm_main"},
	{"amocrm_skip_empty_fields", "1", "combo-boolean", "amocrm_main"},
	{"amocrm_update_order_on_change_status", "", "combo-boolean", "amocrm_main"},
	{"amocrm_token_field", "", "textarea", "amocrm_token"},
	{"amocrm_pipeline_id", "", "textfield", "amocrm_pipelines"},
	{"amocrm_new_order_status_id", "1", "textfield", "amocrm_pipelines"},
	{"amocrm_form_pipeline_id", "", "textfield", "amocrm_pipelines"},
	{"amocrm_form_status_new", "", "textfield", "amocrm_pipelines"},
	{"amocrm_auto_update_pipelines", "", "combo-boolean", "amocrm_pipelines"},
	{"amocrm_order_fields", "weight,delivery_cost,goods", "textfield", "amocrm_fields"},
	{"amocrm_order_address_fields", "phone,city,street,building,room,comment", "textfield", "amocrm_fields"},
	{"amocrm_order_address_fields_prefix", "address.", "textfield", "amocrm_fields"},
	{"amocrm_order_properties_element", "amoCRMFields", "textfield", "amocrm_fields"},
	{"amocrm_categories_pipelines", "{}", "textfield", "amocrm_fields"},
	{"amocrm_responsible_id_priority_category", "1", "combo-boolean", "amocrm_fields"},
	{"amocrm_user_fields", "phone,email", "textfield", "amocrm_fields"},
	{"amocrm_user_enum_fields", `{"phone":"WORK","email":"WORK","телефон":"WORK"}`, "textfield", "amocrm_fields"},
	{"amocrm_user_readonly_fields", "name", "textfield", "amocrm_fields"},
	{"amocrm_user_fields_glue_amo_values", "", "", "amocrm_fields"},
	{"amocrm_default_responsible_user_id", "", "textfield", "amocrm_fields"},
	{"amocrm_auto_create_orders_fields", "1", "combo-boolean", "amocrm_fields"},
	{"amocrm_auto_create_users_fields", "1", "combo-boolean", "amocrm_fields"},
	{"amocrm_form_filled_fields", "", "textfield", "amocrm_fields"},
}

// oldExtraEvents are the events its plugin listens to (modPluginEvent
// vehicles).
var oldExtraEvents = []string{"msOnCreateOrder", "msOnChangeOrderStatus", "OnUserFormSave", "OnUserProfileSave"}

// oldExtraDDL returns the extra's tables, MyISAM where o asks (the
// package always makes them MyISAM; go-mysql-server, which serves the
// demo, takes no engine clause), and, with o.SimpleQueue, simpleQueue's
// message table (mvoevodskiy/simpleQueue's schema, also MyISAM), which the
// extra queued into with amocrm_use_simple_queue on.
func oldExtraDDL(o Options) []string {
	t, id, engine := o.createTable, idColumn, o.myisam()
	stmts := []string{
		t("amocrm_users", id+"`user` int(11) unsigned NOT NULL,\nuser_id int(11) unsigned NOT NULL,\n"+
			"PRIMARY KEY (id),\nUNIQUE KEY `user` (`user`),\nUNIQUE KEY user_id (user_id)", engine),
		t("amocrm_leads", id+"`order` int(11) unsigned NOT NULL,\norder_id int(11) unsigned NOT NULL,\n"+
			"pipeline_id int(11) unsigned NOT NULL,\nPRIMARY KEY (id),\nKEY `order` (`order`),\nKEY amo (order_id, pipeline_id)", engine),
		t("amocrm_status", id+"status int(11) unsigned NOT NULL,\nstatus_id int(11) unsigned NOT NULL,\n"+
			"pipeline_id int(11) unsigned NOT NULL,\nPRIMARY KEY (id),\nKEY status (status)", engine),
		// MODX's own charset, utf8: an index on varchar(255) in utf8mb4
		// exceeds MyISAM's 1000-byte key.
		strings.Replace(t("amocrm_custom_fields", id+"`key` varchar(255) NOT NULL,\ncustom_field_id int(11) unsigned NOT NULL,\n"+
			"PRIMARY KEY (id),\nKEY `key` (`key`)", engine), "CHARSET=utf8mb4", "CHARSET=utf8", 1),
	}
	if o.SimpleQueue {
		stmts = append(stmts, t("simplequeue_messages", id+"service varchar(30) NOT NULL DEFAULT '',\naction varchar(30) NOT NULL DEFAULT '',\n"+
			"subject varchar(191) NOT NULL DEFAULT '',\ncreatedon timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"+
			"createdby int(10) unsigned NOT NULL DEFAULT 0,\nprocessed tinyint(1) NOT NULL DEFAULT 0,\n"+
			"status int(11) NOT NULL DEFAULT 0,\nproperties text NOT NULL,\nPRIMARY KEY (id),\nKEY service (service),\n"+
			"KEY processed (processed),\nKEY status (status)", engine))
	}
	return stmts
}

// oldExtraSeed returns the rows the extra's package installs: its settings
// in namespace amocrm, its plugin, enabled, on its events, and its snippet.
func oldExtraSeed(o Options) []string {
	p := func(name string) string { return "`" + o.Prefix + name + "`" }
	var stmts []string
	for _, s := range OldExtraSettings {
		stmts = append(stmts, "INSERT INTO "+p("system_settings")+" (`key`, value, xtype, namespace, area) VALUES ("+
			quote(s.Key)+", "+quote(s.Value)+", "+quote(s.XType)+", 'amocrm', "+quote(s.Area)+")")
	}
	stmts = append(stmts,
		"INSERT INTO "+p("site_plugins")+" (name, description, disabled, plugincode, static_file) VALUES ("+
			quote(OldExtraPlugin)+", '', 0, '', 'core/components/amocrm/elements/plugins/amocrm.php')",
		"INSERT INTO "+p("site_snippets")+" (name, description, snippet, static_file) VALUES ("+
			quote(OldExtraSnippet)+", '', '', 'core/components/amocrm/elements/snippets/amocrm.php')")
	for _, e := range oldExtraEvents {
		stmts = append(stmts, "INSERT INTO "+p("site_plugin_events")+" (pluginid, event, priority, propertyset) SELECT id, "+
			quote(e)+", 0, 0 FROM "+p("site_plugins")+" WHERE name = "+quote(OldExtraPlugin))
	}
	return stmts
}

// Element kinds a FormIt call may be written in: resources' content,
// chunks, snippets and templates.
const (
	InResource = "resource"
	InChunk    = "chunk"
	InSnippet  = "snippet"
	InTemplate = "template"
)

// elementTables are each kind's table and its name and code columns.
var elementTables = map[string][3]string{
	InResource: {"site_content", "pagetitle", "content"},
	InChunk:    {"site_htmlsnippets", "name", "snippet"},
	InSnippet:  {"site_snippets", "name", "snippet"},
	InTemplate: {"site_templates", "templatename", "content"},
}

// InsertElement writes a resource, chunk, snippet or template named name
// with code as its content, as the manager saves one.
func InsertElement(ctx context.Context, db *sqlx.DB, o Options, kind, name, code string) (int64, error) {
	t, ok := elementTables[kind]
	if !ok {
		return 0, fmt.Errorf("element kind %q: want %s, %s, %s or %s", kind, InResource, InChunk, InSnippet, InTemplate)
	}
	row := map[string]any{t[1]: name, t[2]: code}
	if kind == InResource {
		row["class_key"], row["published"] = o.classKey("modDocument"), true
	}
	return insertRow(ctx, db, o.Prefix, t[0], row)
}

// FormItCall is a FormIt snippet call with the given &hooks, as the
// extra's docs show one (docs/components/amocrm/submitting-forms.md).
func FormItCall(hooks string) string {
	return "[[!FormIt?\n    &hooks=`" + hooks + "`\n    &emailTo=`shop@example.com`\n    &amoCRMmodxAmoFieldsEq=`name==name||phone==phone`\n" +
		"    &validate=`phone:required`\n]]\n<form action=\"[[~[[*id]]]]\" method=\"post\">…</form>"
}
