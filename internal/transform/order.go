package transform

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Deal is the deal (and its contact) an order should be in amoCRM.
type Deal struct {
	OrderID int64
	Lead    crm.Lead
	// OrderKey is the value of the order-number field (OrderFieldCode): the
	// MODX order id, unique and never empty, for exact-match lookups.
	OrderKey      string
	Contact       *ContactDraft
	MissingFields []FieldSpec // lead fields to create before the values are sent
	// EmptyFields are lead fields the order has no value for, left out of
	// the payload because contacts.skip_empty is on: an edit that emptied
	// a value the deal got clears it (Mapper.Edit).
	EmptyFields []int64
	Notes       []string // documented repairs: goods cut, invalid UTF-8, no creation date...
	// Products are the products of the order's lines for the products list,
	// with the quantities the deal links; nil when orders.products is off.
	Products []ProductLine
	// Task is the task made with the deal, EntityID left for the deal's id;
	// CompleteTill is 0 when the order has no creation date (see
	// OrderTaskDue). Nil when orders.task is off.
	Task *crm.Task
}

const defaultLeadName = "Заказ с сайта {num}"

// leadField is an orders.fields or orders.address_fields entry resolved
// against the account's lead fields (field nil: the account lacks it).
type leadField struct {
	column  string // order column, "goods", or address column
	address bool
	field   *crm.CustomField
	spec    FieldSpec
}

// orderValue reads an order column orders.fields may name; "delivery" and
// "payment" are the names of the order's delivery and payment. "comment" is
// the customer's, which checkout stores in the address; "order_comment" is
// the order's own column (comment before miniShop2 3.0.5), which only the
// back office writes.
func orderValue(o *shop.Order, column string) (string, bool) {
	switch column {
	case "id":
		return strconv.FormatInt(o.ID, 10), true
	case "num":
		return o.Num, true
	case "cost":
		return displayDecimal(o.Cost), true
	case "cart_cost":
		return displayDecimal(o.CartCost), true
	case "delivery_cost":
		return displayDecimal(o.DeliveryCost), true
	case "weight":
		return displayDecimal(o.Weight), true
	case "comment":
		if o.Address == nil {
			return "", true
		}
		return o.Address.Comment, true
	case "order_comment":
		return o.Comment, true
	case "context":
		return o.Context, true
	case "delivery":
		return o.DeliveryName, true
	case "payment":
		return o.PaymentName, true
	case "user_id":
		return strconv.FormatInt(o.UserID, 10), true
	case "status":
		return strconv.FormatInt(o.Status, 10), true
	}
	return "", false
}

func (m *Mapper) resolveOrderFields() error {
	for _, k := range m.cfg.Orders.Fields {
		col := foldKey(k)
		if _, ok := orderValue(&shop.Order{}, col); !ok && col != "goods" {
			return fmt.Errorf("orders.fields: unknown order field %q", k)
		}
		typ := "text"
		if col == "goods" {
			typ = "textarea"
		}
		name := strings.TrimSpace(k)
		m.orderFields = append(m.orderFields, leadField{column: col, field: m.leadSet.find(name), spec: FieldSpec{Name: name, Type: typ}})
	}
	for _, k := range m.cfg.Orders.AddressFields {
		col := foldKey(k)
		if _, ok := (&shop.Address{}).Field(col); !ok {
			return fmt.Errorf("orders.address_fields: unknown address field %q", k)
		}
		name := m.cfg.Orders.AddressPrefix + col
		m.orderFields = append(m.orderFields, leadField{column: col, address: true, field: m.leadSet.find(name), spec: FieldSpec{Name: name, Type: "text"}})
	}
	m.orderKeyField = m.leadSet.byCode[foldKey(OrderFieldCode)]
	return nil
}

// Order maps a placed order to its deal. A *RecordError means bad input:
// park the order with that reason.
func (m *Mapper) Order(o *shop.Order) (*Deal, error) {
	d := &Deal{OrderID: o.ID, OrderKey: strconv.FormatInt(o.ID, 10)}
	o = repairOrder(o, &d.Notes)
	props, err := m.parseProps(o.Properties, &d.Notes)
	if err != nil {
		return nil, err
	}
	status := m.PlacedStatus(o.Status)
	if status != o.Status {
		d.Notes = append(d.Notes, StatusZeroWarning(status))
	}
	r := m.matchRule(o.Products)
	pipelineID, statusID, err := m.place(status, r, props)
	if err != nil {
		return nil, err
	}
	lead := crm.Lead{
		Name:              m.leadName(o),
		PipelineID:        pipelineID,
		StatusID:          statusID,
		ResponsibleUserID: m.responsible(r, props),
	}
	if strings.TrimSpace(o.Cost) != "" {
		price, err := RoundPrice(o.Cost)
		switch {
		case err != nil:
			return nil, recordErr("cost", "%q: %v", o.Cost, err)
		case price < 0:
			return nil, recordErr("cost", "%q: a deal's price cannot be negative", o.Cost)
		}
		lead.Price = &price
	}
	if o.CreatedOn.Unix() > 0 {
		lead.CreatedAt = o.CreatedOn.Unix()
	} else {
		d.Notes = append(d.Notes, "createdon is empty: amoCRM dates the deal")
	}
	fv := fieldValues{skipEmpty: m.cfg.Contacts.SkipEmpty, autoCreate: m.cfg.Orders.AutoCreateFields, notes: &d.Notes}
	fv.set(m.orderKeyField, FieldSpec{Name: OrderFieldName, Code: OrderFieldCode, Type: "text", Required: true}, d.OrderKey)
	for _, lf := range m.orderFields {
		fv.set(lf.field, lf.spec, strings.TrimSpace(m.leadFieldValue(o, lf, &d.Notes)))
	}
	m.setTracking(&fv, m.orderTracking(o.Properties)...)
	var ruleTags, propTags []string
	if r != nil {
		ruleTags = r.tags
	}
	if props != nil {
		for _, p := range props.fields {
			if m.isTrackingKey(p.key) {
				continue // sent as tracking, above
			}
			f := m.leadSet.find(p.key)
			if f == nil {
				fv.note("properties.%s.%s: no such lead field in the account, not sent", m.cfg.Orders.PropertiesElement, p.key)
				continue
			}
			fv.set(f, FieldSpec{}, p.value)
		}
		propTags = props.tags
	}
	addTags(&lead, m.cfg.Orders.Tags, ruleTags, propTags)
	lead.CustomFieldsValues = fv.out
	d.MissingFields, d.EmptyFields = fv.missing, fv.empty
	d.Lead = lead
	if d.Contact, err = m.orderContact(o, props, lead.ResponsibleUserID, &d.Notes); err != nil {
		return nil, err
	}
	if m.products != nil {
		if d.Products, err = m.orderProducts(o, &d.Notes); err != nil {
			return nil, err
		}
	}
	if m.orderTask != nil {
		var made time.Time
		if lead.CreatedAt > 0 {
			made = o.CreatedOn
		}
		d.Task = m.task(m.orderTask, lead.ResponsibleUserID, made, m.orderPlaceholder(o))
	}
	return d, nil
}

func (m *Mapper) leadFieldValue(o *shop.Order, lf leadField, notes *[]string) string {
	switch {
	case lf.column == "goods":
		limit := TextareaLimit
		if lf.field != nil && lf.field.Type != "textarea" {
			limit = TextLimit
		}
		lines := goodsLines(o.Products, m.meta.Currency, m.meta.CountUnit, notes)
		v, kept := cutLines(lines, limit)
		if kept < len(lines) {
			*notes = append(*notes, fmt.Sprintf("goods: %d of %d products listed, the field holds %d characters", kept, len(lines), limit))
		}
		return v
	case lf.address:
		v, _ := o.Address.Field(lf.column)
		return v
	}
	v, _ := orderValue(o, lf.column)
	return v
}

func (m *Mapper) leadName(o *shop.Order) string {
	tmpl := m.cfg.Orders.LeadName
	if tmpl == "" {
		tmpl = defaultLeadName
	}
	return cut(strings.TrimSpace(expand(tmpl, m.orderPlaceholder(o))), TextLimit)
}

// orderPlaceholder gives the values of an order's placeholders
// (config.OrderPlaceholders) for a deal's name and its task's text.
func (m *Mapper) orderPlaceholder(o *shop.Order) func(key string) (string, bool) {
	id := strconv.FormatInt(o.ID, 10)
	num := strings.TrimSpace(o.Num)
	if num == "" {
		num = id
	}
	var receiver, email, phone string
	if a := o.Address; a != nil {
		receiver, email, phone = a.Receiver, a.Email, a.Phone
	}
	return func(key string) (string, bool) {
		switch key {
		case "num":
			return num, true
		case "id":
			return id, true
		case "receiver":
			return strings.TrimSpace(receiver), true
		case "cost":
			return displayDecimal(o.Cost), true
		case "delivery":
			return strings.TrimSpace(o.DeliveryName), true
		case "payment":
			return strings.TrimSpace(o.PaymentName), true
		case "site_name":
			return strings.TrimSpace(m.meta.SiteName), true
		case "email":
			return strings.TrimSpace(email), true
		case "phone":
			return strings.TrimSpace(phone), true
		}
		return "", false
	}
}

// expand replaces {key} placeholders that value knows; others stay as written.
func expand(tmpl string, value func(key string) (string, bool)) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(tmpl[open:], '}')
		if end < 0 {
			break
		}
		b.WriteString(tmpl[:open])
		if v, ok := value(tmpl[open+1 : open+end]); ok {
			b.WriteString(v)
		} else {
			b.WriteString(tmpl[open : open+end+1])
		}
		tmpl = tmpl[open+end+1:]
	}
	b.WriteString(tmpl)
	return b.String()
}

// matchRule finds the category rule deciding the order: products in cart
// order, and for each product the rules in config order; the first match
// wins (the old extra let the last matching product win; we do not).
func (m *Mapper) matchRule(products []shop.OrderProduct) *rule {
	for i := range products {
		for j := range m.rules {
			if m.ruleMatches(&m.rules[j], &products[i]) {
				return &m.rules[j]
			}
		}
	}
	return nil
}

// ruleMatches: the rule's category is the product's parent or an ancestor,
// or, with match_additional_categories, an additional category or one of
// its ancestors.
func (m *Mapper) ruleMatches(r *rule, p *shop.OrderProduct) bool {
	if slices.Contains(p.Categories, r.category) {
		return true
	}
	if m.cfg.Orders.MatchAdditionalCategories {
		for _, anc := range p.AdditionalCategories {
			if slices.Contains(anc, r.category) {
				return true
			}
		}
	}
	return false
}

// place picks the deal's pipeline and status. Sources, highest first: the
// category rule, the order's properties, the [orders] defaults. The
// pipeline is the first one a source names (else the default); the status
// is the first given by a source whose pipeline that is, since a status
// means nothing outside its pipeline. Then orders.status_map applies when
// the miniShop2 status is mapped in that pipeline (also for an order first
// seen at a later status); the site pipeline's by-name mapping only fills a
// status no source gave; last, the pipeline's first open status.
func (m *Mapper) place(ms2 int64, r *rule, props *orderProps) (pipelineID, statusID int64, err error) {
	type source struct{ pipeline, status int64 } // pipeline 0: the default one
	srcs := make([]source, 0, 3)
	if r != nil {
		srcs = append(srcs, source{r.pipeline, r.status})
	}
	if props != nil {
		var s source
		p := m.acc.byID[m.defPipeline]
		if props.pipeline != nil {
			p, s.pipeline = props.pipeline, props.pipeline.id
		}
		if s.status, err = p.status(props.status); err != nil {
			return 0, 0, &RecordError{Field: "properties." + m.cfg.Orders.PropertiesElement + ".status_id", Err: err}
		}
		srcs = append(srcs, s)
	}
	srcs = append(srcs, source{0, m.defStatus})

	pipelineID = m.defPipeline
	for _, s := range srcs {
		if s.pipeline != 0 {
			pipelineID = s.pipeline
			break
		}
	}
	for _, s := range srcs {
		if (s.pipeline == pipelineID || s.pipeline == 0 && pipelineID == m.defPipeline) && s.status != 0 {
			statusID = s.status
			break
		}
	}
	if s, ok := m.statusMap[pipelineID][ms2]; ok {
		statusID = s
	} else if s, ok := m.siteStatusMap[ms2]; ok && statusID == 0 && pipelineID == m.meta.SitePipelineID {
		statusID = s
	}
	if statusID == 0 {
		statusID = m.acc.byID[pipelineID].firstOpen()
	}
	return pipelineID, statusID, nil
}

// responsible: with responsible_priority = "category" the rule's user
// first, then the properties', then the default; with "order" the rule's
// user is not used at all, as in the old extra.
func (m *Mapper) responsible(r *rule, props *orderProps) int64 {
	if r != nil && r.responsible != 0 && m.cfg.Orders.ResponsiblePriority != "order" {
		return r.responsible
	}
	if props != nil && props.responsible != 0 {
		return props.responsible
	}
	return m.defResponsible
}

// StatusZeroWarning is the note of an order sent although at status 0:
// placed (its lines and address written, older than settle) but never moved
// on, which the shop must fix. `check` counts such orders.
func StatusZeroWarning(newStatus int64) string {
	return fmt.Sprintf("placed but left at status 0, sent at the shop's new-order status %d (ms2_status_new): "+
		"miniShop2 4.4.1's changeOrderStatus() fails on a new order (its issue #950; a plugin's fatal error on msOnCreateOrder, "+
		"as the old amoCRM extra's without a pipeline, does the same); fix the shop: update miniShop2 past 4.4.1 or apply its PR #951", newStatus)
}

// PlacedStatus is the shop status a placed order counts as: its own, or
// for one left at status 0 the shop's new-order status (Meta.NewStatus,
// else miniShop2's own fallback 1). The comparison of a linked deal with
// its order asks StatusChange with it.
func (m *Mapper) PlacedStatus(status int64) int64 {
	switch {
	case status != 0:
		return status
	case m.meta.NewStatus > 0:
		return m.meta.NewStatus
	}
	return 1
}

// orderContact: the customer is the order's receiver. The order's own
// name, phone and e-mail come first (the address, then the properties'
// contactFields); the profile behind user_id only fills in a phone or an
// e-mail the order lacks, and only when it is the customer's own profile
// (ownProfile). Its extended.amoCRMFields override last; broken JSON there
// drops them with a note rather than parking the order. When the receiver
// is the account's holder, the draft names the account (Account): the
// order is theirs, also with a new phone and e-mail.
func (m *Mapper) orderContact(o *shop.Order, props *orderProps, responsible int64, notes *[]string) (*ContactDraft, error) {
	p := &person{}
	var profile *person
	var userID, account int64
	if c := o.Customer; ownProfile(c) {
		profile, userID = m.customerPerson(c), c.ID
		p.name, p.extras = profile.name, profile.extras
		if holder(o.Address, c) {
			account = c.ID
		}
	}
	if a := o.Address; a != nil {
		if r := strings.TrimSpace(a.Receiver); r != "" {
			p.name = r
		}
		p.phones = []phoneValue{{"phone", a.Phone}}
		p.emails = []string{a.Email}
	}
	if props != nil {
		p.override(props.contact)
	}
	if profile == nil {
		return m.draft(p, userID, responsible)
	}
	if !slices.ContainsFunc(p.phones, func(ph phoneValue) bool { _, ok := usablePhone(ph.value); return ok }) {
		p.phones = append(p.phones, profile.phones...)
	}
	if !slices.ContainsFunc(p.emails, m.UsableEmail) {
		p.emails = append(p.emails, profile.emails...)
	}
	ext, err := extendedOverrides(o.Customer)
	if err != nil {
		*notes = append(*notes, fmt.Sprintf("%v: the contact is sent without the profile's overrides", err))
	}
	p.override(ext)
	d, err := m.draft(p, userID, responsible)
	if d != nil {
		d.Account = account
	}
	return d, err
}

// holder reports whether an order's receiver is the holder of the account
// that placed it: the address names no one else (no receiver, or one the
// profile's name agrees with), or it carries one of the profile's phones
// or e-mails. A receiver whose name has nothing in common with the
// profile's, on new contacts, is someone else (a gift): their own contact.
func holder(a *shop.Address, c *shop.Customer) bool {
	if a == nil {
		return true
	}
	if n := NormalizePhone(a.Phone); len(n) >= minPhoneDigits && (n == NormalizePhone(c.Phone) || n == NormalizePhone(c.MobilePhone)) {
		return true
	}
	if e := NormalizeEmail(a.Email); e != "" && e == NormalizeEmail(c.Email) {
		return true
	}
	return samePerson(a.Receiver, c.FullName)
}

// samePerson reports whether two people's names agree: either is empty, or
// the words of one are all words of the other, whatever their order, case
// or ё ("Мария" and "Иванова Мария" agree; "Мария Иванова" and "Пётр
// Иванов" do not).
func samePerson(a, b string) bool {
	wa, wb := nameWords(a), nameWords(b)
	if len(wa) == 0 || len(wb) == 0 {
		return true
	}
	if len(wa) > len(wb) {
		wa, wb = wb, wa
	}
	for _, w := range wa {
		if !slices.Contains(wb, w) {
			return false
		}
	}
	return true
}

func nameWords(s string) []string {
	s = strings.NewReplacer("ё", "е", "Ё", "е").Replace(strings.ToLower(s))
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
}

// sharedAt is how many different receivers, with as many different phones
// (or none at all), an account's orders must have gone to for the account
// to be shared: every guest's order under one user. A customer writing
// their name three ways keeps one phone; a family may share two.
const sharedAt = 3

// ownProfile reports whether the profile behind an order's user_id is the
// customer's: not a manager's (the 4.x back office puts the manager's own
// user_id on the orders they make) and not a shared account's.
func ownProfile(c *shop.Customer) bool {
	if c == nil || c.Manager {
		return false
	}
	return c.Receivers < sharedAt || c.Phones > 0 && c.Phones < sharedAt
}

func extendedOverrides(c *shop.Customer) ([]kv, error) {
	if c == nil {
		return nil, nil
	}
	obj, err := element(c.Extended, extendedElement)
	if err != nil {
		return nil, &RecordError{Field: "user_attributes.extended", Err: err}
	}
	return pairs(obj), nil
}
