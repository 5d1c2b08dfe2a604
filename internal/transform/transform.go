// Package transform maps MODX records (orders, forms, users) to the amoCRM
// entities they should become. It is pure: no SQL, no HTTP, no clock and no
// global state. Everything it needs about the account and the shop comes in
// through Meta, so the same record and the same Meta always give the same
// payload, which is what the syncer hashes to detect "unchanged".
package transform

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Field length limits in runes. The sandbox enforces the same, and longer
// values are cut rather than rejected by amoCRM at the worst moment.
const (
	TextLimit     = 256
	TextareaLimit = 10000
)

// The lead field holding the MODX order id. Deals are looked up by it (exact
// match) after a create whose outcome is unknown, so it is matched by code
// only: a hand-made "Номер заказа" field in the account is left alone.
const (
	OrderFieldCode = "MODX_ORDER"
	OrderFieldName = "Номер заказа MODX"
)

// ErrNoContact means a record has neither a phone nor a usable e-mail, so no
// contact can be made or matched. Orders with it are parked; users with it
// are skipped (errors.Is tells the cases apart).
var ErrNoContact = errors.New("no phone and no e-mail")

// RecordError is bad input in one record: the record is parked (or skipped)
// with this reason and the pass goes on. Field names the column or key.
type RecordError struct {
	Field string
	Err   error
}

func (e *RecordError) Error() string {
	if e.Field == "" {
		return e.Err.Error()
	}
	return e.Field + ": " + e.Err.Error()
}

func (e *RecordError) Unwrap() error { return e.Err }

func recordErr(field, format string, args ...any) *RecordError {
	return &RecordError{Field: field, Err: fmt.Errorf(format, args...)}
}

// FieldSpec is a custom field the account lacks. The syncer creates it when
// auto_create_fields is on (a dry run reports "would create field X") and
// maps the record again; values for it are never sent before it exists.
type FieldSpec struct {
	Name     string
	Code     string
	Type     string // "text" or "textarea"
	Required bool   // needed for correctness (the order-number field), whatever auto_create_fields says
}

// Meta is what the transform needs to know about the account and the shop;
// the syncer fetches it once per pass.
type Meta struct {
	Pipelines     []crm.Pipeline
	Users         []crm.User
	LeadFields    []crm.CustomField
	ContactFields []crm.CustomField
	MS2Statuses   []shop.OrderStatus
	// SiteHost is the shop's host; e-mails miniShop2 and the old extra invent
	// for guests (…@host, …@emails.host) are recognised by it.
	SiteHost string
	// Currency and CountUnit label the goods lines ("руб.", "шт.").
	Currency, CountUnit string
	// NewStatus is the shop's new-order status (SiteFacts.NewStatus): an
	// order placed but left at status 0 (miniShop2 4.4.1's #950) is placed
	// as if at it. 0: 1, miniShop2's own fallback.
	NewStatus int64
	// SitePipelineID is the pipeline used when orders.pipeline_id = 0: the
	// one created after site_name. Its statuses are mapped to miniShop2's by
	// name. 0 falls back to the account's main pipeline (what a dry run shows
	// before that pipeline exists).
	SitePipelineID int64
	// SiteName is MODX's site_name, for the {site_name} placeholder.
	SiteName string
	// Zone is the shop's time zone: a task due "18:00" is due at 18:00
	// there. Nil is UTC.
	Zone *time.Location
	// TaskTypes are the account's task types (Client.TaskTypes), needed
	// when a task's type is given by name or by an id other than 1 and 2.
	TaskTypes []crm.TaskType
	// Products is the products list with its fields, needed when
	// orders.products is on (FindCatalog picks it, Client.CatalogFields
	// reads its fields).
	Products *ProductsList
}

// Mapper maps records with names in the config already resolved to ids.
// It is safe for concurrent use: nothing in it changes after NewMapper.
type Mapper struct {
	cfg      *config.Config
	meta     Meta
	acc      *account
	leadSet  *fieldSet
	contSet  *fieldSet
	synth    []string // synthetic e-mail domains
	ignored  map[string]bool
	readonly readonlySet

	defPipeline    int64
	defStatus      int64
	defResponsible int64
	rules          []rule
	statusMap      map[int64]map[int64]int64 // pipeline -> ms2 status -> amoCRM status (orders.status_map, pipeline_status_map)
	// mappedPipelines have an orders.pipeline_status_map table, in key order.
	mappedPipelines []int64
	siteStatusMap   map[int64]int64             // ms2 status -> status of the site pipeline, by name
	shopStatus      map[int64]map[int64][]int64 // pipeline -> amoCRM status -> shop statuses (shop_status)

	orderFields   []leadField
	orderKeyField *crm.CustomField
	contactPlan   contactPlan
	forms         formPlan
	tracking      map[string]trackingKey // folded key -> its tracking field
	orderTask     *taskPlan              // nil: orders.task is off
	formTask      *taskPlan              // nil: forms.task is off
	products      *productPlan           // nil: orders.products is off
}

// rule is an [[orders.category]] entry with its names resolved.
type rule struct {
	category    int64
	pipeline    int64 // 0: the rule names no pipeline
	status      int64
	responsible int64
	tags        []string
}

// NewMapper resolves every name and id the config refers to against the
// account once. An unresolvable one is an error naming the config key.
func NewMapper(cfg *config.Config, meta Meta) (*Mapper, error) {
	m := &Mapper{
		cfg:     cfg,
		meta:    meta,
		acc:     newAccount(meta.Pipelines, meta.Users),
		leadSet: newFieldSet(meta.LeadFields),
		contSet: newFieldSet(meta.ContactFields),
		synth:   syntheticDomains(meta.SiteHost),
		ignored: make(map[string]bool, len(cfg.Contacts.IgnoreEmails)),
	}
	for _, e := range cfg.Contacts.IgnoreEmails {
		m.ignored[NormalizeEmail(e)] = true
	}
	steps := []func() error{
		func() error { return m.leadSet.bind("orders.field_ids", "lead", cfg.Orders.FieldIDs) },
		func() error { return m.contSet.bind("contacts.field_ids", "contact", cfg.Contacts.FieldIDs) },
		m.resolveDefaults,
		m.resolveRules,
		m.resolveStatusMap,
		m.resolveShopStatus,
		m.resolveOrderFields,
		m.resolveContacts,
		m.resolveForms,
		m.resolveTracking,
		m.resolveTasks,
		m.resolveProducts,
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Mapper) resolveDefaults() error {
	p := m.acc.byID[m.meta.SitePipelineID]
	if !m.cfg.Orders.PipelineID.IsZero() {
		var err error
		if p, err = m.acc.pipeline(m.cfg.Orders.PipelineID); err != nil {
			return fmt.Errorf("orders.pipeline_id: %w", err)
		}
	}
	if p == nil {
		p = m.acc.main
	}
	if p == nil {
		return errors.New("the account has no pipelines")
	}
	m.defPipeline = p.id
	if site := m.acc.byID[m.meta.SitePipelineID]; site != nil {
		m.siteStatusMap = site.byMS2Name(m.meta.MS2Statuses)
	}
	var err error
	if m.defStatus, err = p.status(m.cfg.Orders.StatusID); err != nil {
		return fmt.Errorf("orders.status_id: %w", err)
	}
	if m.defResponsible, err = m.acc.user(m.cfg.AmoCRM.DefaultResponsibleUserID); err != nil {
		return fmt.Errorf("amocrm.default_responsible_user_id: %w", err)
	}
	return nil
}

func (m *Mapper) resolveRules() error {
	for i, c := range m.cfg.Orders.Category {
		key := fmt.Sprintf("orders.category[%d]", i+1) // 1-based, as config validation counts rules
		r := rule{category: int64(c.ID), tags: c.Tags}
		p := m.acc.byID[m.defPipeline]
		if !c.PipelineID.IsZero() {
			var err error
			if p, err = m.acc.pipeline(c.PipelineID); err != nil {
				return fmt.Errorf("%s.pipeline_id: %w", key, err)
			}
			r.pipeline = p.id
		}
		var err error
		if r.status, err = p.status(c.StatusID); err != nil {
			return fmt.Errorf("%s.status_id: %w", key, err)
		}
		if r.responsible, err = m.acc.user(c.ResponsibleUserID); err != nil {
			return fmt.Errorf("%s.responsible_user_id: %w", key, err)
		}
		m.rules = append(m.rules, r)
	}
	return nil
}

// resolveStatusMap resolves each orders.status_map entry in every pipeline
// where it exists: a deal follows the map in whatever pipeline it is in.
// Then each orders.pipeline_status_map table is resolved in its pipeline,
// where its entries come first. An entry that exists nowhere (or not in
// its table's pipeline) is a config error.
func (m *Mapper) resolveStatusMap() error {
	m.statusMap = make(map[int64]map[int64]int64)
	set := func(p, ms2, s int64) {
		if m.statusMap[p] == nil {
			m.statusMap[p] = make(map[int64]int64)
		}
		m.statusMap[p][ms2] = s
	}
	for _, ms2 := range slices.Sorted(maps.Keys(m.cfg.Orders.StatusMap)) {
		key := fmt.Sprintf("orders.status_map.%q", ms2)
		id, err := shopStatusKey(key, ms2)
		if err != nil {
			return err
		}
		in, err := m.acc.statusInEach(m.cfg.Orders.StatusMap[ms2])
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		for p, s := range in {
			set(p, id, s)
		}
	}
	for _, ref := range slices.Sorted(maps.Keys(m.cfg.Orders.PipelineStatusMap)) {
		table := fmt.Sprintf("orders.pipeline_status_map.%q", ref)
		p, err := m.acc.pipeline(config.ParseIDRef(ref))
		if err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		entries := m.cfg.Orders.PipelineStatusMap[ref]
		for _, ms2 := range slices.Sorted(maps.Keys(entries)) {
			key := fmt.Sprintf("%s.%q", table, ms2)
			id, err := shopStatusKey(key, ms2)
			if err != nil {
				return err
			}
			s, err := p.status(entries[ms2])
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			set(p.id, id, s)
		}
		m.mappedPipelines = append(m.mappedPipelines, p.id)
	}
	return nil
}

func shopStatusKey(key, ms2 string) (int64, error) {
	id, err := strconv.ParseInt(ms2, 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%s: the key must be a miniShop2 status id", key)
	}
	return id, nil
}

// StatusChange gives the status a deal in pipeline moves to when its order
// reaches miniShop2 status ms2Status; ok is false when the status is not
// mapped in that pipeline (the deal stays where it is).
func (m *Mapper) StatusChange(pipelineID, ms2Status int64) (statusID int64, ok bool) {
	if s, ok := m.statusMap[pipelineID][ms2Status]; ok {
		return s, true
	}
	if pipelineID == m.meta.SitePipelineID {
		s, ok := m.siteStatusMap[ms2Status]
		return s, ok
	}
	return 0, false
}
