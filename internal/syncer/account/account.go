// Package account is the amoCRM account and the shop's metadata as a pass
// plans with them: pipelines, statuses, users and custom fields, and, while
// they are on, the products list and the task types (cached in the state,
// so an idle pass asks amoCRM nothing), the shop's statuses and
// site facts, the mapper built from them and the config, and the steps
// that change the account before anything is written with it: the site
// pipeline and the custom fields to create, as plan steps with made-up ids.
package account

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/shop"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// CRM is what the account reads of amoCRM.
type CRM interface {
	Users(ctx context.Context) ([]crm.User, error)
	Pipelines(ctx context.Context) ([]crm.Pipeline, error)
	LeadFields(ctx context.Context) ([]crm.CustomField, error)
	ContactFields(ctx context.Context) ([]crm.CustomField, error)
	extrasCRM
}

// Shop is what the account reads of the shop.
type Shop interface {
	OrderStatuses(ctx context.Context) ([]shop.OrderStatus, error)
	Site(ctx context.Context) (shop.SiteFacts, error)
	Zone() modx.Zone
}

// Ledger keeps the cache and the site pipeline's id.
type Ledger interface {
	Meta(ctx context.Context, name string) (string, bool, error)
	SetMeta(ctx context.Context, name, value string) error
}

// Account metadata is cached in the state for cacheTTL, so a pass with
// nothing to do asks amoCRM nothing. It is read again sooner when the
// config names something the cache lacks, or when amoCRM refuses a write
// (a field or status may be gone).
const (
	metaCache = "account_meta"
	cacheTTL  = time.Hour
)

// cache is the metadata as the state holds it.
type cache struct {
	FetchedAt     time.Time         `json:"fetched_at"`
	Pipelines     []crm.Pipeline    `json:"pipelines"`
	Users         []crm.User        `json:"users"`
	LeadFields    []crm.CustomField `json:"lead_fields"`
	ContactFields []crm.CustomField `json:"contact_fields"`
	// Products, NoProducts (why there is no products list to use) and
	// TaskTypes are read only while products and tasks are on.
	Products   *transform.ProductsList `json:"products,omitempty"`
	NoProducts string                  `json:"no_products,omitempty"`
	TaskTypes  []crm.TaskType          `json:"task_types"`
}

// Account is the metadata of the passes of one engine. Begin readies it
// for a pass; sources plan with Mapper and Meta; the writers tell it what
// they changed.
type Account struct {
	cfg    *config.Config
	crm    CRM
	shop   Shop
	ledger Ledger
	log    *slog.Logger
	now    func() time.Time

	meta   transform.Meta
	mapper *transform.Mapper
	cached bool // the metadata came from the state's cache
	stale  bool // amoCRM refused writes made with cached metadata
	site   *sitePipeline
	seq    int64 // the last made-up id of a field still to be created
	extras extras
}

// New returns an account that has read nothing yet.
func New(cfg *config.Config, c CRM, s Shop, l Ledger, log *slog.Logger, now func() time.Time) *Account {
	return &Account{cfg: cfg, crm: c, shop: s, ledger: l, log: log, now: now,
		extras: extras{cfg: cfg, crm: c, log: log}}
}

// Begin reads the metadata a pass plans with: amoCRM's (from the cache
// while it is fresh), the shop's statuses and site facts, and, when the
// orders need it, decides the site pipeline step (SitePipeline).
func (a *Account) Begin(ctx context.Context, sitePipeline bool) error {
	a.mapper, a.site, a.stale, a.extras.noticed = nil, nil, false, false
	if err := a.load(ctx, false); err != nil {
		return err
	}
	statuses, err := a.shop.OrderStatuses(ctx)
	if err != nil {
		return fmt.Errorf("read order statuses: %w", err)
	}
	site, err := a.shop.Site(ctx)
	if err != nil {
		return fmt.Errorf("read site settings: %w", err)
	}
	a.meta.MS2Statuses, a.meta.SiteHost, a.meta.NewStatus, a.meta.SitePipelineID = statuses, site.Host, site.NewStatus, 0
	a.meta.SiteName, a.meta.Zone = site.Name, a.shop.Zone().Location
	a.meta.Currency, a.meta.CountUnit = "руб.", "шт."
	if sitePipeline {
		return a.decideSitePipeline(ctx, site)
	}
	return nil
}

// Meta is the metadata the pass plans with; writers change it through the
// account.
func (a *Account) Meta() *transform.Meta { return &a.meta }

// Mapper returns the mapper of the current metadata, reading the
// metadata again first when amoCRM refused writes made with the cache, or
// when the config names something the cache lacks.
func (a *Account) Mapper(ctx context.Context) (*transform.Mapper, error) {
	if err := a.takeSitePipeline(ctx); err != nil {
		return nil, err
	}
	if a.stale {
		a.stale = false
		a.log.Info("amoCRM refused writes made with cached account metadata; reading it again", "source", "meta")
		if err := a.load(ctx, true); err != nil {
			return nil, err
		}
		if id := a.meta.SitePipelineID; id != 0 && plan.FindPipeline(a.meta.Pipelines, id) == nil {
			return nil, fmt.Errorf("the site pipeline %d is gone from amoCRM; the next pass makes it again", id)
		}
		a.mapper = nil
	}
	if a.mapper != nil {
		return a.mapper, nil
	}
	err := a.remap()
	if err != nil && a.cached {
		// The config may name a pipeline, status or user made since the
		// cache was filled: ask amoCRM before calling the config wrong.
		if err := a.load(ctx, true); err != nil {
			return nil, err
		}
		err = a.remap()
	}
	return a.mapper, err
}

// Notices returns, once a pass, a plan of entries that only inform: that
// deals go without their products, and why. Nil when there is nothing to
// say.
func (a *Account) Notices() *plan.Plan { return a.extras.notices(&a.meta) }

// Refused tells the account that amoCRM refused writes: metadata read from
// the cache is read again before the next batch is planned, and the cache
// is dropped, so the next process does not trust it either.
func (a *Account) Refused(ctx context.Context) error {
	if !a.cached {
		return nil
	}
	a.stale = true
	if err := a.ledger.SetMeta(ctx, metaCache, ""); err != nil {
		return fmt.Errorf("drop cached account metadata: %w", err)
	}
	return nil
}

// remap rebuilds the mapper from the metadata.
func (a *Account) remap() error {
	m, err := transform.NewMapper(a.extras.mapperConfig(a.meta.Products), a.meta)
	if err != nil {
		return fmt.Errorf("config does not fit the account: %w", err)
	}
	a.mapper = m
	return nil
}

// load fills the metadata: from the cache unless fresh is asked or the
// cache is stale, else from amoCRM (and caches it).
func (a *Account) load(ctx context.Context, fresh bool) error {
	if !fresh {
		v, ok, err := a.ledger.Meta(ctx, metaCache)
		if err != nil {
			return fmt.Errorf("read cached account metadata: %w", err)
		}
		var c cache
		if ok && json.Unmarshal([]byte(v), &c) == nil && a.now().Sub(c.FetchedAt) < cacheTTL && len(c.Pipelines) > 0 && a.extras.cached(c) {
			a.meta.Pipelines, a.meta.Users, a.meta.LeadFields, a.meta.ContactFields = c.Pipelines, c.Users, c.LeadFields, c.ContactFields
			a.meta.Products, a.extras.noProducts, a.meta.TaskTypes = c.Products, c.NoProducts, c.TaskTypes
			a.cached = true
			return nil
		}
	}
	var err error
	if a.meta.Pipelines, err = a.crm.Pipelines(ctx); err != nil {
		return fmt.Errorf("read pipelines: %w", err)
	}
	if a.meta.Users, err = a.crm.Users(ctx); err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	if a.meta.LeadFields, err = a.crm.LeadFields(ctx); err != nil {
		return fmt.Errorf("read lead fields: %w", err)
	}
	if a.meta.ContactFields, err = a.crm.ContactFields(ctx); err != nil {
		return fmt.Errorf("read contact fields: %w", err)
	}
	if err := a.extras.load(ctx, &a.meta); err != nil {
		return err
	}
	a.cached = false
	return a.save(ctx)
}

// save caches the metadata (a dry run's ledger keeps it in memory, with
// its made-up ids).
func (a *Account) save(ctx context.Context) error {
	v, err := json.Marshal(cache{FetchedAt: a.now().UTC(), Pipelines: a.meta.Pipelines, Users: a.meta.Users,
		LeadFields: a.meta.LeadFields, ContactFields: a.meta.ContactFields,
		Products: a.meta.Products, NoProducts: a.extras.noProducts, TaskTypes: a.meta.TaskTypes})
	if err != nil {
		return fmt.Errorf("cache account metadata: %w", err)
	}
	if err := a.ledger.SetMeta(ctx, metaCache, string(v)); err != nil {
		return fmt.Errorf("cache account metadata: %w", err)
	}
	return nil
}
