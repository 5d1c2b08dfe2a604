package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// LegacySetting is one MODX system setting read by the old "amoCRM" extra
// (1.9.3) and what became of it here.
type LegacySetting struct {
	Name    string // "amocrm_pipeline_id"
	Default string // the extra's installed default, used when the row is missing
	Key     string // the config key that replaces it; "" when none does
	Note    string // how the value converts, or why it has no key
	Secret  bool   // the value is never shown in notes

	apply func(c *Config, v string) (remark string)
}

// LegacySettings returns the table of every old setting, grouped as on the
// extra's settings page; the README's settings table is generated from it.
// Order matters to FromLegacy: amocrm_account may override amocrm_domain.
func LegacySettings() []LegacySetting { return slices.Clone(legacySettings) }

// notInstalled describes the settings 1.9.3 reads (amoCRM::__construct,
// getSetting with a default) but its package does not install: they count
// once someone creates them in System settings.
const notInstalled = "read by the extra 1.9.3 though its package does not install it"

var legacySettings = []LegacySetting{
	{Name: "amocrm_domain", Default: "amocrm.ru", Key: "amocrm.domain", Note: notInstalled, apply: func(c *Config, v string) string {
		setString(&c.AmoCRM.Domain, v)
		return ""
	}},
	{Name: "amocrm_account", Key: "amocrm.account", Note: "the account subdomain; a full host name is split into account and domain", apply: applyAccount},
	{Name: "amocrm_protocol", Default: "https", Note: notInstalled + ": its requests went to {amocrm_protocol}://{amocrm_account}.{amocrm_domain}; " +
		"amoCRM answers on https only, which modx-amocrm always uses", apply: applyProtocol},
	{Name: "amocrm_client_id", Key: "amocrm.client_id", apply: func(c *Config, v string) string {
		c.AmoCRM.ClientID = strings.TrimSpace(v)
		return ""
	}},
	{Name: "amocrm_client_secret", Key: "amocrm.client_secret", Secret: true, Note: "better kept in amocrm.client_secret_file or a systemd credential", apply: func(c *Config, v string) string {
		c.AmoCRM.ClientSecret = strings.TrimSpace(v)
		return ""
	}},
	{Name: "amocrm_client_code", Key: "amocrm.auth_code", Secret: true, Note: "valid for 20 minutes; the extra cleared it after the first exchange", apply: func(c *Config, v string) string {
		c.AmoCRM.AuthCode = strings.TrimSpace(v)
		return ""
	}},
	{Name: "amocrm_token_field", Secret: true, Note: "the extra's OAuth token: `modx-amocrm auth -from-modx` takes it over; only one of the two may run afterwards"},
	{Name: "amocrm_use_simple_queue", Default: "0", Note: "obsolete: the connector is always asynchronous, no queue extra is needed"},
	{Name: "amocrm_form_as_lead", Default: "", Key: "forms.as_lead", apply: boolSetting(func(c *Config) *bool { return &c.Forms.AsLead })},
	{Name: "amocrm_save_user_in_mgr", Default: "0", Key: "users.enabled", Note: "either of the two user settings turns users on", apply: applyUsers},
	{Name: "amocrm_save_user_by_profile", Default: "0", Key: "users.enabled", Note: "either of the two user settings turns users on", apply: applyUsers},
	{Name: "amocrm_skip_empty_fields", Default: "1", Key: "contacts.skip_empty", apply: boolSetting(func(c *Config) *bool { return &c.Contacts.SkipEmpty })},
	{Name: "amocrm_update_order_on_change_status", Default: "0", Key: "orders.resend_on_status_change", apply: boolSetting(func(c *Config) *bool { return &c.Orders.ResendOnStatusChange })},
	{Name: "amocrm_pipeline_id", Key: "orders.pipeline_id", Note: "empty: 0, a pipeline named after site_name is created once", apply: idSetting(func(c *Config) *IDRef { return &c.Orders.PipelineID })},
	{Name: "amocrm_new_order_status_id", Default: "1", Key: "orders.status_id", apply: applyNewOrderStatus},
	{Name: "amocrm_form_pipeline_id", Key: "forms.pipeline_id", apply: idSetting(func(c *Config) *IDRef { return &c.Forms.PipelineID })},
	{Name: "amocrm_form_status_new", Key: "forms.status_id", apply: idSetting(func(c *Config) *IDRef { return &c.Forms.StatusID })},
	{Name: "amocrm_auto_update_pipelines", Default: "0", Key: "orders.auto_update_pipelines", apply: boolSetting(func(c *Config) *bool { return &c.Orders.AutoUpdatePipelines })},
	{Name: "amocrm_order_fields", Default: "weight,delivery_cost,goods", Key: "orders.fields", apply: listSetting(func(c *Config) *[]string { return &c.Orders.Fields })},
	{Name: "amocrm_order_address_fields", Default: "phone,city,street,building,room,comment", Key: "orders.address_fields", apply: listSetting(func(c *Config) *[]string { return &c.Orders.AddressFields })},
	{Name: "amocrm_order_address_fields_prefix", Default: "address.", Key: "orders.address_prefix", apply: func(c *Config, v string) string {
		c.Orders.AddressPrefix = strings.TrimSpace(v)
		return ""
	}},
	{Name: "amocrm_order_properties_element", Default: "amoCRMFields", Key: "orders.properties_element", apply: func(c *Config, v string) string {
		setString(&c.Orders.PropertiesElement, v)
		return ""
	}},
	{Name: "amocrm_categories_pipelines", Default: "{}", Key: "orders.category", Note: "one [[orders.category]] per JSON key, in the JSON's order; a category's status is honoured (the extra overwrote it)", apply: applyCategories},
	{Name: "amocrm_responsible_id_priority_category", Default: "1", Key: "orders.responsible_priority", Note: `on: "category", off: "order"`, apply: applyPriority},
	{Name: "amocrm_user_fields", Default: "phone,email", Key: "contacts.fields", apply: applyUserFields},
	{Name: "amocrm_user_enum_fields", Default: `{"phone":"WORK","email":"WORK","телефон":"WORK"}`, Key: "contacts.enum_types", apply: applyEnumFields},
	{Name: "amocrm_user_readonly_fields", Default: "name", Key: "contacts.readonly_fields", apply: listSetting(func(c *Config) *[]string { return &c.Contacts.ReadonlyFields })},
	{Name: "amocrm_user_fields_glue_amo_values", Note: "used only by the extra's webhook to copy contact fields back to MODX users; this version moves only order statuses back (shop_status)"},
	{Name: "amocrm_default_responsible_user_id", Key: "amocrm.default_responsible_user_id", apply: idSetting(func(c *Config) *IDRef { return &c.AmoCRM.DefaultResponsibleUserID })},
	{Name: "amocrm_auto_create_orders_fields", Default: "1", Key: "orders.auto_create_fields", apply: boolSetting(func(c *Config) *bool { return &c.Orders.AutoCreateFields })},
	{Name: "amocrm_auto_create_users_fields", Default: "1", Key: "contacts.auto_create_fields", apply: boolSetting(func(c *Config) *bool { return &c.Contacts.AutoCreateFields })},
	{Name: "amocrm_form_filled_fields", Key: "forms.required_fields", apply: listSetting(func(c *Config) *[]string { return &c.Forms.RequiredFields })},
	{Name: "amocrm_spam_modx_log", Default: "0", Key: "log.level", Note: notInstalled + `; on: "debug"`, apply: applySpamLog},
	{Name: "site_url", Key: "amocrm.redirect_uri", Note: "MODX core setting; the extra used it as the OAuth redirect URI", apply: func(c *Config, v string) string {
		c.AmoCRM.RedirectURI = strings.TrimSpace(v)
		return ""
	}},
	{Name: "date_timezone", Key: "modx.timezone", Note: "MODX core setting; empty: the server's zone", apply: applyTimezone},
}

// Note says what became of one old setting, or carries a general remark
// (Setting empty). RenderTOML writes notes as comments.
type Note struct {
	Setting string // "amocrm_new_order_status_id"; empty for a general note
	Key     string // config key the note belongs next to; empty: the header
	Text    string
}

// Legacy is what the old extra left in the MODX database: its settings,
// and the parts of its tables a config holds.
type Legacy struct {
	// Settings are the amocrm_* system settings and the core settings the
	// extra used (name -> value, as stored in system_settings).
	Settings map[string]string
	// Statuses are its amocrm_status rows, by id: its status map.
	Statuses []LegacyStatus
	// Fields are its amocrm_custom_fields rows, by id.
	Fields []LegacyField
	// Links counts what its link tables hold; run takes them over.
	Links LegacyLinks
}

// LegacyStatus is an amocrm_status row: shop status Status is amoCRM
// status StatusID in pipeline PipelineID.
type LegacyStatus struct{ Status, StatusID, PipelineID int64 }

// LegacyField is an amocrm_custom_fields row: a field key and the amoCRM
// field id it stood for.
type LegacyField struct {
	Key     string
	FieldID int64
}

// LegacyLinks counts the extra's links: order deals and form deals
// (amocrm_leads, order = 0 for a form's) and contacts (amocrm_users).
type LegacyLinks struct{ Deals, FormDeals, Contacts int }

// FromLegacy converts what the old extra left to a Config, with one Note
// per setting of the table, one per unknown amocrm_* setting and one per
// table it read. Missing settings take the extra's defaults. sync.start is
// "now", so the switch-over sends nothing twice.
func FromLegacy(l Legacy) (Config, []Note) {
	c := Default()
	var notes []Note
	for _, s := range legacySettings {
		v, ok := l.Settings[s.Name]
		if !ok {
			v = s.Default
		}
		text := s.describe(v, ok)
		if s.apply != nil {
			if remark := s.apply(&c, v); remark != "" {
				text += "; " + remark
			}
		}
		notes = append(notes, Note{Setting: s.Name, Key: s.Key, Text: text})
	}
	for _, name := range sortedKeys(l.Settings) {
		if strings.HasPrefix(name, "amocrm_") && !slices.ContainsFunc(legacySettings, func(s LegacySetting) bool { return s.Name == name }) {
			notes = append(notes, Note{Setting: name, Text: fmt.Sprintf("%s = %s: unknown setting, not converted", name, show(l.Settings[name]))})
		}
	}
	notes = append(notes, applyStatuses(&c, l.Statuses)...)
	notes = append(notes, applyFieldIDs(&c, l.Fields)...)
	return c, append(notes, decisions(&c, l.Links)...)
}

// decisions sets and explains what the import decides beyond the old
// settings, where it does otherwise than the extra did.
func decisions(c *Config, links LegacyLinks) []Note {
	c.Sync.Start = "now"
	notes := []Note{
		{Key: "sync.start", Text: `sync.start = "now", where the extra simply sent what happened next: nothing it sent is sent again, and ` +
			"the orders begin right after the newest one it sent, so none placed after it stopped is lost. " +
			"To send the older history too, run once `modx-amocrm run -once -since all` " +
			"(orders the extra linked in amocrm_leads are not sent twice)"},
		{Key: "forms.enabled", Text: formsNote(c)},
	}
	if links != (LegacyLinks{}) {
		notes = append(notes, Note{Text: fmt.Sprintf("the extra's links: %d order deals and %d form deals (amocrm_leads), %d contacts (amocrm_users); "+
			"the first run takes them over: a linked order keeps its deal, a linked customer's own orders go to their contact",
			links.Deals, links.FormDeals, links.Contacts)})
	}
	if w := StatusMapWarning(c); w != "" {
		notes = append(notes, Note{Key: "orders.status_map", Text: "WARNING: " + w})
	}
	return notes
}

func formsNote(c *Config) string {
	const how = "the extra sent forms from its FormIt hook amocrmaddcontact (amoCRMAddContact); modx-amocrm reads the forms FormIt saves " +
		"(FormItSaveForm in a form's &hooks), so check that your forms save, take the extra's hook out of their &hooks " +
		"(`modx-amocrm check` says where it is named: it keeps sending while it is there), then set forms.enabled = true"
	if c.Forms.AsLead {
		return "forms.enabled = false although amocrm_form_as_lead is on: " + how
	}
	return "forms.enabled = false: " + how
}

func (s LegacySetting) describe(v string, present bool) string {
	shown := show(v)
	switch {
	case s.Secret && v != "":
		shown = "(set, not shown)"
	case !present:
		shown += " (not set, the extra's default)"
	}
	text := s.Name + " = " + shown
	if s.Note != "" {
		text += ": " + s.Note
	}
	return text
}

// show quotes a value for a comment, on one line and not too long.
func show(v string) string {
	q := strconv.Quote(v)
	if r := []rune(q); len(r) > 80 {
		q = string(r[:80]) + "…"
	}
	return q
}

func setString(dst *string, v string) {
	if v = strings.TrimSpace(v); v != "" {
		*dst = v
	}
}

func applyAccount(c *Config, v string) string {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(strings.TrimPrefix(v, "https://"), "http://")
	v = strings.TrimRight(v, "/")
	account, domain, found := strings.Cut(v, ".")
	c.AmoCRM.Account = account
	if found && slices.Contains(Domains, domain) {
		c.AmoCRM.Domain = domain
		return "split into account " + strconv.Quote(account) + " and domain " + strconv.Quote(domain)
	}
	return ""
}

func applyUsers(c *Config, v string) string {
	on, remark := legacyBool(v, false)
	c.Users.Enabled = c.Users.Enabled || on
	return remark
}

func boolSetting(field func(*Config) *bool) func(*Config, string) string {
	return func(c *Config, v string) string {
		dst := field(c)
		var remark string
		*dst, remark = legacyBool(v, *dst)
		return remark
	}
}

// legacyBool reads a MODX boolean: '1'/'0' from the manager, ” from a
// transport's false, and the words people type.
func legacyBool(v string, fallback bool) (bool, string) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "no", "false", "off", "нет":
		return false, ""
	case "1", "yes", "true", "on", "да":
		return true, ""
	}
	return fallback, fmt.Sprintf("not a yes/no value, kept %t", fallback)
}

func idSetting(field func(*Config) *IDRef) func(*Config, string) string {
	return func(c *Config, v string) string {
		*field(c) = ParseIDRef(strings.TrimSpace(v))
		return ""
	}
}

func applyNewOrderStatus(c *Config, v string) string {
	if v = strings.TrimSpace(v); v == "1" || v == "" {
		c.Orders.StatusID = IDRef{}
		return `"1" is not an amoCRM status (the extra's placeholder): 0, the pipeline's first status`
	}
	c.Orders.StatusID = ParseIDRef(v)
	return ""
}

func listSetting(field func(*Config) *[]string) func(*Config, string) string {
	return func(c *Config, v string) string {
		pairs, err := parseFieldSet(v)
		if err != nil {
			return fmt.Sprintf("unreadable (%v), kept the default", err)
		}
		names, remark := pairNames(pairs)
		*field(c) = names
		return remark
	}
}

// pairNames keeps the site-side names; the old a==b renames have no
// counterpart here, so they are reported.
func pairNames(pairs []fieldPair) ([]string, string) {
	names := make([]string, 0, len(pairs))
	var renamed []string
	for _, p := range pairs {
		names = append(names, p.from)
		if p.to != p.from {
			renamed = append(renamed, p.from+"=="+p.to)
		}
	}
	if len(renamed) > 0 {
		return names, "renames are not supported, fields keep their own names: " + strings.Join(renamed, ", ")
	}
	return names, ""
}

func applyUserFields(c *Config, v string) string {
	pairs, err := parseFieldSet(v)
	if err != nil {
		return fmt.Sprintf("unreadable (%v), kept the default", err)
	}
	names, remark := pairNames(pairs)
	// The extra always named the contact from fullname and looked
	// mobilephone up as phone; listing them keeps that (and fixes the lost
	// phone of guests, whose profile has only mobilephone).
	var added []string
	for _, f := range []string{"fullname", "mobilephone"} {
		if !slices.Contains(names, f) {
			names = append(names, f)
			added = append(added, f)
		}
	}
	c.Contacts.Fields = names
	if len(added) > 0 {
		remark = strings.TrimPrefix(remark+"; added "+strings.Join(added, ", ")+", which the extra used implicitly", "; ")
	}
	return remark
}

// EnumKeys are the contacts.enum_types keys: the fields with enum types.
var EnumKeys = []string{"phone", "mobilephone", "email"}

// enumAliases name a field of EnumKeys otherwise: 1.9.3 installs
// {"phone":"WORK","email":"WORK","телефон":"WORK"}, where "телефон" is the
// phone field's Russian name (its orders send the address phone under
// both keys, Leads::addOrder).
var enumAliases = map[string]string{"телефон": "phone", "мобильный": "mobilephone", "почта": "email", "e-mail": "email"}

// applyEnumFields keeps the keys contacts.enum_types knows, maps the plain
// aliases to them (an explicit key wins over its alias) and drops the rest,
// each with a remark.
func applyEnumFields(c *Config, v string) string {
	pairs, err := parseFieldSet(v)
	if err != nil {
		return fmt.Sprintf("unreadable (%v), kept the default", err)
	}
	enums := make(map[string]string, len(pairs))
	var remarks []string
	for _, alias := range []bool{false, true} {
		for _, p := range pairs {
			key := strings.ToLower(p.from)
			target, isAlias := enumAliases[key]
			if isAlias != alias {
				continue
			}
			if !isAlias {
				target = key
			}
			switch have, dup := enums[target]; {
			case !slices.Contains(EnumKeys, target):
				remarks = append(remarks, fmt.Sprintf("%q dropped: no contact field of that name (%s are)", p.from, strings.Join(EnumKeys, ", ")))
			case dup && have == p.to:
				remarks = append(remarks, fmt.Sprintf("%q is the %s field by another name, already %s = %q", p.from, target, target, have))
			case dup:
				remarks = append(remarks, fmt.Sprintf("%q = %q dropped: it names the %s field, already %s = %q", p.from, p.to, target, target, have))
			default:
				if isAlias {
					remarks = append(remarks, fmt.Sprintf("%q is the %s field by another name: %s = %q", p.from, target, target, p.to))
				}
				enums[target] = p.to
			}
		}
	}
	c.Contacts.EnumTypes = enums
	return strings.Join(remarks, "; ")
}

func applyProtocol(_ *Config, v string) string {
	if v = strings.ToLower(strings.TrimSpace(v)); v != "" && v != "https" {
		return fmt.Sprintf("%q is not used", v)
	}
	return ""
}

// applyStatuses converts amocrm_status, the extra's status map: one row
// per shop status and pipeline, which its status changes looked up in the
// deal's current pipeline (Leads::changeOrderStatusInAmo) and its new deals
// in theirs (amoCRM::getLeadStatusId). Rows of one pipeline become
// orders.status_map; rows of several, one orders.pipeline_status_map table
// each, since a status id belongs to its pipeline. Where two rows map one
// shop status in one pipeline, the first (by id) is kept, as xPDO's
// getObject found it.
func applyStatuses(c *Config, rows []LegacyStatus) []Note {
	if len(rows) == 0 {
		return nil
	}
	byPipeline := map[int64]map[string]IDRef{}
	var pipelines []int64
	var skipped []string
	for _, r := range rows {
		key := strconv.FormatInt(r.Status, 10)
		switch {
		case r.Status <= 0 || r.StatusID <= 0 || r.PipelineID <= 0:
			skipped = append(skipped, fmt.Sprintf("status %d -> %d in pipeline %d names no shop status, amoCRM status or pipeline", r.Status, r.StatusID, r.PipelineID))
			continue
		case byPipeline[r.PipelineID] == nil:
			byPipeline[r.PipelineID] = map[string]IDRef{}
			pipelines = append(pipelines, r.PipelineID)
		}
		if have, dup := byPipeline[r.PipelineID][key]; dup {
			if have.ID != r.StatusID {
				skipped = append(skipped, fmt.Sprintf("status %d -> %d in pipeline %d: already -> %d", r.Status, r.StatusID, r.PipelineID, have.ID))
			}
			continue
		}
		byPipeline[r.PipelineID][key] = IDRef{ID: r.StatusID}
	}
	tail := ""
	if len(skipped) > 0 {
		tail = "; rows skipped: " + strings.Join(skipped, "; ")
	}
	switch len(pipelines) {
	case 0:
		return []Note{{Text: "amocrm_status: no usable row" + tail}}
	case 1:
		c.Orders.StatusMap = byPipeline[pipelines[0]]
		return []Note{{Key: "orders.status_map", Text: fmt.Sprintf("from amocrm_status, the extra's status map of pipeline %d: "+
			"shop status id = amoCRM status id; `modx-amocrm check` says where deals of other pipelines find theirs%s", pipelines[0], tail)}}
	}
	c.Orders.PipelineStatusMap = make(map[string]map[string]IDRef, len(pipelines))
	ids := make([]string, len(pipelines))
	for i, p := range pipelines {
		ids[i] = strconv.FormatInt(p, 10)
		c.Orders.PipelineStatusMap[ids[i]] = byPipeline[p]
	}
	return []Note{{Key: "orders.pipeline_status_map", Text: fmt.Sprintf("from amocrm_status, the extra's status map of pipelines %s: "+
		"a status id belongs to its pipeline, so each has its table (pipeline id, then shop status id = amoCRM status id); "+
		"`modx-amocrm check` says whether their status names agree, so that one orders.status_map by name could replace them%s",
		strings.Join(ids, ", "), tail)}}
}

// contactFieldKeys are contacts.fields names a contact field id may be
// bound to.
var contactFieldKeys = []string{"phone", "mobilephone", "email", "fax", "address", "country", "city", "state", "zip", "website", "comment"}

// applyFieldIDs binds amocrm_custom_fields rows (key -> field id) to the
// field names they stand for: a lead field of orders.fields, goods,
// delivery, payment or an address field with its prefix, or a contact
// field. 1.9.3 defines the table but never writes it; older versions' rows
// are kept where their key is one of our names.
func applyFieldIDs(c *Config, rows []LegacyField) []Note {
	var notes []Note
	for _, r := range rows {
		key := strings.ToLower(strings.TrimSpace(r.Key))
		if a, ok := enumAliases[key]; ok {
			key = a
		}
		table, into := "", &c.Orders.FieldIDs
		switch {
		case r.FieldID <= 0:
		case strings.HasPrefix(key, strings.ToLower(c.Orders.AddressPrefix)) && c.Orders.AddressPrefix != "",
			slices.Contains(c.Orders.Fields, key), slices.Contains([]string{"goods", "delivery", "payment"}, key):
			table = "orders.field_ids"
		case slices.Contains(contactFieldKeys, key):
			table, into = "contacts.field_ids", &c.Contacts.FieldIDs
		}
		if table == "" {
			notes = append(notes, Note{Text: fmt.Sprintf("amocrm_custom_fields: %q = %d dropped: not a field modx-amocrm sends", r.Key, r.FieldID)})
			continue
		}
		if _, dup := (*into)[key]; dup {
			notes = append(notes, Note{Key: table, Text: fmt.Sprintf("amocrm_custom_fields: %q = %d dropped: %s is bound already", r.Key, r.FieldID, key)})
			continue
		}
		if *into == nil {
			*into = map[string]int64{}
		}
		(*into)[key] = r.FieldID
	}
	const bound = "from amocrm_custom_fields: these fields are found by id, not by name, so no twin is created"
	if len(c.Orders.FieldIDs) > 0 {
		notes = append(notes, Note{Key: "orders.field_ids", Text: bound})
	}
	if len(c.Contacts.FieldIDs) > 0 {
		notes = append(notes, Note{Key: "contacts.field_ids", Text: bound})
	}
	return notes
}

func applyPriority(c *Config, v string) string {
	on, remark := legacyBool(v, true)
	c.Orders.ResponsiblePriority = PriorityOrder
	if on {
		c.Orders.ResponsiblePriority = PriorityCategory
	}
	return remark
}

func applySpamLog(c *Config, v string) string {
	on, remark := legacyBool(v, false)
	if on {
		c.Log.Level = "debug"
	}
	return remark
}

func applyTimezone(c *Config, v string) string {
	v = strings.TrimSpace(v)
	if _, err := time.LoadLocation(v); err != nil {
		return "not a known zone, left empty"
	}
	c.MODX.Timezone = v
	return ""
}

func applyCategories(c *Config, v string) string {
	rules, skipped, err := parseCategories(v)
	if err != nil {
		return fmt.Sprintf("unreadable JSON (%v), no rules converted", err)
	}
	c.Orders.Category = rules
	if len(skipped) > 0 {
		return "skipped: " + strings.Join(skipped, "; ")
	}
	return ""
}

// fieldPair is one entry of the extra's field lists: a site field and the
// amoCRM name it was sent under (the same unless renamed with a==b).
type fieldPair struct{ from, to string }

// parseFieldSet reads the formats of the extra's amoCRMTools::parseFieldsSet:
// a JSON object or array, "a==b||c" pairs, or a comma list. Unlike the
// extra, names are trimmed ("weight, goods" meant " goods" there).
func parseFieldSet(v string) ([]fieldPair, error) {
	v = strings.TrimSpace(v)
	switch {
	case v == "":
		return nil, nil
	case strings.HasPrefix(v, "{"):
		return parseJSONPairs(v)
	case strings.HasPrefix(v, "["):
		var names []string
		if err := json.Unmarshal([]byte(v), &names); err != nil {
			return nil, err
		}
		return namePairs(names), nil
	case strings.Contains(v, "==") || strings.Contains(v, "||"):
		var pairs []fieldPair
		for _, item := range strings.Split(v, "||") {
			from, to, found := strings.Cut(item, "==")
			from, to = strings.TrimSpace(from), strings.TrimSpace(to)
			if from == "" {
				continue
			}
			if !found || to == "" {
				to = from
			}
			pairs = append(pairs, fieldPair{from, to})
		}
		return pairs, nil
	}
	return namePairs(strings.Split(v, ",")), nil
}

func namePairs(names []string) []fieldPair {
	var pairs []fieldPair
	for _, n := range names {
		if n = strings.TrimSpace(n); n != "" {
			pairs = append(pairs, fieldPair{n, n})
		}
	}
	return pairs
}

// parseJSONPairs reads a JSON object of strings in document order.
func parseJSONPairs(v string) ([]fieldPair, error) {
	var pairs []fieldPair
	err := eachJSONMember(v, func(key string, dec *json.Decoder) error {
		var val any
		if err := dec.Decode(&val); err != nil {
			return err
		}
		to := strings.TrimSpace(fmt.Sprint(val))
		if s, ok := val.(string); ok {
			to = strings.TrimSpace(s)
		}
		pairs = append(pairs, fieldPair{strings.TrimSpace(key), to})
		return nil
	})
	return pairs, err
}

// eachJSONMember calls fn for every member of a JSON object, in document
// order, with the decoder positioned at the member's value. PHP encodes an
// empty object as [], which is accepted as no members.
func eachJSONMember(v string, fn func(key string, dec *json.Decoder) error) error {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == json.Delim('[') {
		if end, err := dec.Token(); err != nil || end != json.Delim(']') {
			return fmt.Errorf("want a JSON object")
		}
		return nil
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("want a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if err := fn(tok.(string), dec); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}

// parseCategories reads amocrm_categories_pipelines,
// {"23":{"pipeline_id":1480825,"status_id":22834243,"responsible_user_id":2956360}},
// keeping the keys' order: the first matching rule wins.
func parseCategories(v string) (rules []CategoryRule, skipped []string, err error) {
	if strings.TrimSpace(v) == "" {
		return nil, nil, nil
	}
	err = eachJSONMember(v, func(key string, dec *json.Decoder) error {
		var fields map[string]any
		if err := dec.Decode(&fields); err != nil {
			return err
		}
		id, err := strconv.Atoi(strings.TrimSpace(key))
		if err != nil || id <= 0 {
			skipped = append(skipped, fmt.Sprintf("%q is not a category id", key))
			return nil
		}
		r := CategoryRule{
			ID:                id,
			PipelineID:        jsonIDRef(fields["pipeline_id"]),
			StatusID:          jsonIDRef(fields["status_id"]),
			ResponsibleUserID: jsonIDRef(fields["responsible_user_id"]),
		}
		if r.PipelineID.IsZero() {
			skipped = append(skipped, fmt.Sprintf("category %d has no pipeline_id", id))
			return nil
		}
		rules = append(rules, r)
		return nil
	})
	return rules, skipped, err
}

// jsonIDRef reads an id PHP may have stored as a number or a string.
func jsonIDRef(v any) IDRef {
	switch v := v.(type) {
	case json.Number:
		return ParseIDRef(v.String())
	case string:
		if v = strings.TrimSpace(v); v != "" && v != "0" {
			return ParseIDRef(v)
		}
	}
	return IDRef{}
}
