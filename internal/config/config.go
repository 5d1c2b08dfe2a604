// Package config is the TOML schema of modx-amocrm: defaults, strict decoding,
// secrets from files, environment and systemd credentials, and validation with
// errors that name the key.
package config

// Config is the whole configuration file. Field tags are the TOML keys of
// DESIGN.md; they are part of the user-facing contract.
type Config struct {
	MODX     MODX     `toml:"modx"`
	State    State    `toml:"state"`
	AmoCRM   AmoCRM   `toml:"amocrm"`
	Sync     Sync     `toml:"sync"`
	Contacts Contacts `toml:"contacts"`
	Orders   Orders   `toml:"orders"`
	Forms    Forms    `toml:"forms"`
	Users    Users    `toml:"users"`
	// ShopStatus is the one way back: deals a manager moves in amoCRM move
	// their orders in the shop.
	ShopStatus ShopStatus `toml:"shop_status"`
	Metrics    Metrics    `toml:"metrics"`
	Log        Log        `toml:"log"`

	// file and lines let Validate point at the line a key was set on;
	// they are empty for a Config that was not parsed from a file.
	file  string
	lines map[string]int
	// inFile lists the secrets written in the file itself, for ExposedSecrets.
	inFile []string
}

type MODX struct {
	DSN          string `toml:"dsn"`
	Password     string `toml:"password"`
	PasswordFile string `toml:"password_file"`
	TablePrefix  string `toml:"table_prefix"`
	Timezone     string `toml:"timezone"`
	Shop         string `toml:"shop"` // ShopAuto, ShopMiniShop2 or ShopMiniShop3
}

type State struct {
	DSN          string `toml:"dsn"`
	Password     string `toml:"password"`
	PasswordFile string `toml:"password_file"`
	TablePrefix  string `toml:"table_prefix"`
}

type AmoCRM struct {
	BaseURL                  string   `toml:"base_url"`
	Account                  string   `toml:"account"`
	Domain                   string   `toml:"domain"`
	ClientID                 string   `toml:"client_id"`
	ClientSecret             string   `toml:"client_secret"`
	ClientSecretFile         string   `toml:"client_secret_file"`
	AuthCode                 string   `toml:"auth_code"`
	RedirectURI              string   `toml:"redirect_uri"`
	LongLivedToken           string   `toml:"long_lived_token"`
	LongLivedTokenFile       string   `toml:"long_lived_token_file"`
	RateLimit                float64  `toml:"rate_limit"`
	DefaultResponsibleUserID IDRef    `toml:"default_responsible_user_id"`
	Timeout                  Duration `toml:"timeout"`
}

type Sync struct {
	Cron         string   `toml:"cron"`
	Start        string   `toml:"start"`
	Settle       Duration `toml:"settle"`
	AbandonAfter Duration `toml:"abandon_after"`
	BatchSize    int      `toml:"batch_size"`
	MaxAttempts  int      `toml:"max_attempts"`
}

type Contacts struct {
	Fields           []string          `toml:"fields"`
	EnumTypes        map[string]string `toml:"enum_types"`
	ReadonlyFields   []string          `toml:"readonly_fields"`
	AutoCreateFields bool              `toml:"auto_create_fields"`
	SkipEmpty        bool              `toml:"skip_empty"`
	IgnoreEmails     []string          `toml:"ignore_emails"`
	// FieldIDs binds a contacts.fields name ("city", "phone") to an
	// existing contact field by id, where finding it by name or code would
	// miss it (renamed in amoCRM) and create a twin.
	FieldIDs map[string]int64 `toml:"field_ids"`
}

type Orders struct {
	Enabled                   bool     `toml:"enabled"`
	LeadName                  string   `toml:"lead_name"`
	PipelineID                IDRef    `toml:"pipeline_id"`
	StatusID                  IDRef    `toml:"status_id"`
	Fields                    []string `toml:"fields"`
	AddressFields             []string `toml:"address_fields"`
	AddressPrefix             string   `toml:"address_prefix"`
	PropertiesElement         string   `toml:"properties_element"`
	ResponsiblePriority       string   `toml:"responsible_priority"`
	MatchAdditionalCategories bool     `toml:"match_additional_categories"`
	ResendOnStatusChange      bool     `toml:"resend_on_status_change"`
	AutoCreateFields          bool     `toml:"auto_create_fields"`
	AutoUpdatePipelines       bool     `toml:"auto_update_pipelines"`
	CompareCron               string   `toml:"compare_cron"`
	OnDelete                  string   `toml:"on_delete"`
	// Tags go on every order deal; a matching category rule and the order's
	// properties add theirs.
	Tags []string `toml:"tags"`
	// Tracking maps more order-property and form keys to amoCRM tracking
	// field codes, besides the known ones (utm_*, yclid, gclid, ...).
	Tracking map[string]string `toml:"tracking"`
	// TrackingElement is a key of the order's properties holding tracking
	// values, besides the top level and properties_element.
	TrackingElement string           `toml:"tracking_element"`
	Products        Products         `toml:"products"`
	Task            Task             `toml:"task"`
	Category        []CategoryRule   `toml:"category"`
	StatusMap       map[string]IDRef `toml:"status_map"`
	// PipelineStatusMap is a status map per pipeline (an id or a name): for
	// a deal in that pipeline it comes before status_map. One status_map
	// cannot hold the old extra's amocrm_status, which maps each shop status
	// once per pipeline, each to its own status id.
	PipelineStatusMap map[string]map[string]IDRef `toml:"pipeline_status_map"`
	// FieldIDs binds a lead field name of orders.fields or
	// orders.address_fields (with address_prefix) to an existing lead field
	// by id, where finding it by name or code would miss it and create a twin.
	FieldIDs map[string]int64 `toml:"field_ids"`
}

// Products puts the ordered products into amoCRM's products list and links
// them to their deals with their quantities.
type Products struct {
	Enabled bool `toml:"enabled"`
	// Catalog is the list, by id or name; zero: the account's list of type
	// "products".
	Catalog IDRef `toml:"catalog"`
}

// Task is a task for the deal's responsible user, made with each new deal.
type Task struct {
	Enabled bool   `toml:"enabled"`
	Text    string `toml:"text"` // with the placeholders of the deal's name
	// Due is a duration after the deal was made ("2h") or a time of day
	// ("18:00": that time the same day, or the next day once it passed),
	// in the shop's zone.
	Due string `toml:"due"`
	// Type is "call", "meeting", or a task type's id or name.
	Type IDRef `toml:"type"`
}

// CategoryRule sends orders with a product under category ID to a pipeline.
type CategoryRule struct {
	ID                int      `toml:"id"`
	PipelineID        IDRef    `toml:"pipeline_id"`
	StatusID          IDRef    `toml:"status_id"`
	ResponsibleUserID IDRef    `toml:"responsible_user_id"`
	Tags              []string `toml:"tags,omitempty"` // added to orders.tags on deals the rule places
}

type Forms struct {
	Enabled        bool                    `toml:"enabled"`
	AsLead         bool                    `toml:"as_lead"`
	PipelineID     IDRef                   `toml:"pipeline_id"`
	StatusID       IDRef                   `toml:"status_id"`
	RequiredFields []string                `toml:"required_fields"`
	Names          []string                `toml:"names"`
	Unsorted       bool                    `toml:"unsorted"`
	Tags           []string                `toml:"tags"` // on every form deal
	Task           Task                    `toml:"task"`
	Form           map[string]FormSettings `toml:"form"`
}

// FormSettings overrides [forms] for one FormIt form name.
type FormSettings struct {
	PipelineID IDRef             `toml:"pipeline_id"`
	StatusID   IDRef             `toml:"status_id"`
	Map        map[string]string `toml:"map"`
	Tags       []string          `toml:"tags,omitempty"` // added to forms.tags
}

type Users struct {
	Enabled bool   `toml:"enabled"`
	Cron    string `toml:"cron"`
}

// ShopStatus moves an order we sent when a manager moves its deal.
type ShopStatus struct {
	Enabled bool `toml:"enabled"`
	// Cron is when amoCRM's event list is read: each reading is a
	// request, so it runs on a schedule of its own rather than every pass.
	Cron string `toml:"cron"`
	// Map is amoCRM status (an id, or a name resolved in the deal's
	// pipeline) = shop status id. Empty: the inverse of orders.status_map.
	Map map[string]int64 `toml:"map"`
}

type Metrics struct {
	Listen string `toml:"listen"`
}

type Log struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // auto, text, json
}
