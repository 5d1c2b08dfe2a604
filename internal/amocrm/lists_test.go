package amocrm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/amocrm"
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/sandbox"
)

// listsSandbox is a sandbox in modes with a client sending batches of 50.
func listsSandbox(t *testing.T, modes sandbox.Modes) (*sandbox.Server, *amocrm.Client) {
	t.Helper()
	return sandboxLongLived(t, sandbox.Options{RPS: -1, Modes: modes}, func(cfg *amocrm.Config) {
		cfg.RateLimit, cfg.Sleep = 1000, new(noSleep).sleep
	})
}

func element(name, sku string, externalID int) crm.CatalogElement {
	text := func(code, v string) crm.CustomFieldValues {
		return crm.CustomFieldValues{FieldCode: code, Values: []crm.FieldValue{{Value: v}}}
	}
	return crm.CatalogElement{Name: name, CustomFieldsValues: []crm.CustomFieldValues{
		text(crm.FieldSKU, sku), text(crm.FieldPrice, "990.50"), text(crm.FieldExternalID, fmt.Sprint(externalID))}}
}

func requestsTo(srv *sandbox.Server, method, path string) int {
	return countRequests(srv, func(r sandbox.RequestLog) bool { return r.Method == method && r.Path == path })
}

func TestCatalogsAndElements(t *testing.T) {
	ctx := context.Background()
	srv, c := listsSandbox(t, sandbox.Modes{})
	cats, err := c.Catalogs(ctx)
	if err != nil || len(cats) != 1 || cats[0].Type != crm.CatalogProducts {
		t.Fatalf("Catalogs = %+v, %v; want the products list", cats, err)
	}
	fields, err := c.CatalogFields(ctx, cats[0].ID)
	if err != nil || !slices.ContainsFunc(fields, func(f crm.CustomField) bool { return f.Code == crm.FieldExternalID }) {
		t.Fatalf("CatalogFields = %+v, %v; want EXTERNAL_ID among them", fields, err)
	}
	var els []crm.CatalogElement
	for i := range 130 {
		els = append(els, element(fmt.Sprintf("Товар %d", i), fmt.Sprintf("ART-%03d", i), 500+i))
	}
	created, err := c.CreateCatalogElements(ctx, cats[0].ID, els)
	if err != nil || len(created) != 130 || created[129].ID == 0 || created[129].Name != "Товар 129" {
		t.Fatalf("CreateCatalogElements: %d, %v", len(created), err)
	}
	path := fmt.Sprintf("/api/v4/catalogs/%d/elements", cats[0].ID)
	if n := requestsTo(srv, http.MethodPost, path); n != 3 {
		t.Errorf("creates of 130 elements took %d requests, want 3 of at most 50", n)
	}
	srv.ResetRequests()
	var all []crm.CatalogElement
	err = c.CatalogElements(ctx, cats[0].ID, func(page []crm.CatalogElement) error {
		all = append(all, page...)
		return nil
	})
	if err != nil || len(all) != 130 || all[42].FieldText(crm.FieldExternalID) != "542" {
		t.Fatalf("CatalogElements: %d, %v; want all 130, EXTERNAL_ID read back", len(all), err)
	}
	if n := requestsTo(srv, http.MethodGet, path); n != 2 {
		t.Errorf("paging 130 elements took %d requests, want 2 (100, then 30 ends it)", n)
	}
	renamed := crm.CatalogElement{ID: created[0].ID, Name: "Товар 0 (новый)"}
	if err := c.UpdateCatalogElements(ctx, cats[0].ID, []crm.CatalogElement{renamed}); err != nil {
		t.Fatal(err)
	}
	got, err := c.CatalogElementsByIDs(ctx, cats[0].ID, []int64{created[0].ID, created[7].ID, 1})
	if err != nil || len(got) != 2 || got[0].Name != "Товар 0 (новый)" || got[0].FieldText(crm.FieldSKU) != "ART-000" {
		t.Errorf("CatalogElementsByIDs = %+v, %v", got, err)
	}
}

// TestCatalogElementsFiltersIgnored: an account that ignores filter[id]
// answers a page of everything; the client notices and reads by id.
func TestCatalogElementsFiltersIgnored(t *testing.T) {
	ctx := context.Background()
	_, c := listsSandbox(t, sandbox.Modes{FiltersIgnored: true})
	created, err := c.CreateCatalogElements(ctx, sandbox.ProductsCatalogID, []crm.CatalogElement{element("A", "A", 1), element("B", "B", 2), element("C", "C", 3)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.CatalogElementsByIDs(ctx, sandbox.ProductsCatalogID, []int64{created[1].ID})
	if err != nil || len(got) != 1 || got[0].Name != "B" || !c.FiltersIgnored() {
		t.Errorf("by id on an account ignoring filters = %+v, %v", got, err)
	}
}

func TestNoListsIsNotForbidden(t *testing.T) {
	ctx := context.Background()
	_, c := listsSandbox(t, sandbox.Modes{NoLists: true})
	_, err := c.Catalogs(ctx)
	if !errors.Is(err, amocrm.ErrNoLists) || errors.Is(err, amocrm.ErrForbidden) || amocrm.IsFatal(err) {
		t.Fatalf("Catalogs on an account without lists: %v; want ErrNoLists, not a fatal ErrForbidden", err)
	}
	if _, err := c.Account(ctx); err != nil {
		t.Errorf("the account itself still answers: %v", err)
	}
	srv, blocked := listsSandbox(t, sandbox.Modes{})
	srv.SetFaults(sandbox.Faults{Blocked: true})
	if _, err := blocked.Catalogs(ctx); !errors.Is(err, amocrm.ErrForbidden) || errors.Is(err, amocrm.ErrNoLists) {
		t.Errorf("Catalogs of a blocked account: %v; want ErrForbidden", err)
	}
}

// dealsWithProducts makes n deals and lines products, and the links of
// each deal to all of them, quantity deal index + line.
func dealsWithProducts(t *testing.T, c *amocrm.Client, n, lines int) (deals []int64, links []crm.Link) {
	t.Helper()
	ctx := context.Background()
	var leads []crm.Lead
	for i := range n {
		leads = append(leads, crm.Lead{Name: fmt.Sprint("Заказ ", i)})
	}
	made, err := c.CreateLeads(ctx, leads)
	if err != nil {
		t.Fatal(err)
	}
	var els []crm.CatalogElement
	for i := range lines {
		els = append(els, element(fmt.Sprint("Товар ", i), fmt.Sprint("SKU-", i), i+1))
	}
	products, err := c.CreateCatalogElements(ctx, sandbox.ProductsCatalogID, els)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range made {
		deals = append(deals, l.ID)
		for j, p := range products {
			links = append(links, crm.Link{EntityID: l.ID, ToEntityID: p.ID, ToEntityType: crm.LinkCatalogElements,
				Metadata: &crm.LinkMetadata{CatalogID: sandbox.ProductsCatalogID, Quantity: float64(i + j + 1)}})
		}
	}
	return deals, links
}

func TestLinkLeadsMany(t *testing.T) {
	ctx := context.Background()
	srv, c := listsSandbox(t, sandbox.Modes{LinksStrict: true})
	deals, links := dealsWithProducts(t, c, 60, 5)
	srv.ResetRequests()
	done, err := c.LinkLeads(ctx, links)
	if err != nil || len(done) != 60 {
		t.Fatalf("LinkLeads: %d deals done, %v", len(done), err)
	}
	if n := requestsTo(srv, http.MethodPost, "/api/v4/leads/link"); n != 2 {
		t.Errorf("300 links of 60 deals took %d requests, want 2 of at most 250", n)
	}
	srv.ResetRequests()
	back, err := c.LeadsCatalogElements(ctx, deals)
	if err != nil || len(back) != 60 {
		t.Fatalf("LeadsCatalogElements: %d deals, %v", len(back), err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("reading 60 deals' products took %d requests, want 1", n)
	}
	for i, d := range deals {
		for j, e := range back[d] {
			if e.Metadata.Quantity != float64(i+j+1) || e.Metadata.CatalogID != sandbox.ProductsCatalogID {
				t.Fatalf("deal %d line %d read back %+v", i, j, e)
			}
		}
	}
}

// TestLinkLeadsLostAnswer: a link whose answer is lost is not sent again
// (on an account where that would add the quantity twice); the caller reads
// the deals back and finds it applied.
func TestLinkLeadsLostAnswer(t *testing.T) {
	ctx := context.Background()
	srv, c := listsSandbox(t, sandbox.Modes{LinksStrict: true})
	deals, links := dealsWithProducts(t, c, 2, 2)
	srv.SetFaults(sandbox.Faults{DropAfterWrite: 1})
	done, err := c.LinkLeads(ctx, links)
	if !errors.Is(err, amocrm.ErrOutcomeUnknown) || len(done) != 0 {
		t.Fatalf("LinkLeads with the answer dropped: %v done, %v; want ErrOutcomeUnknown", done, err)
	}
	if n := requestsTo(srv, http.MethodPost, "/api/v4/leads/link"); n != 1 {
		t.Errorf("link sent %d times, want once", n)
	}
	back, err := c.LeadsCatalogElements(ctx, deals)
	if err != nil || len(back[deals[1]]) != 2 || back[deals[1]][1].Metadata.Quantity != 3 {
		t.Errorf("read back after the lost answer: %+v, %v; want the links applied once", back, err)
	}
}

func TestLinkLeadOne(t *testing.T) {
	ctx := context.Background()
	_, c := listsSandbox(t, sandbox.Modes{})
	deals, links := dealsWithProducts(t, c, 1, 3)
	contacts, err := c.CreateContacts(ctx, []crm.Contact{{Name: "Иван"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range links {
		links[i].EntityID = 0
	}
	links = append(links, crm.Link{ToEntityID: contacts[0].ID, ToEntityType: crm.LinkContacts, Metadata: &crm.LinkMetadata{IsMain: true}})
	if err := c.LinkLead(ctx, deals[0], links); err != nil {
		t.Fatal(err)
	}
	if err := c.UnlinkLead(ctx, deals[0], links[1:2]); err != nil {
		t.Fatal(err)
	}
	got, err := c.LeadLinks(ctx, deals[0], 0)
	if err != nil || len(got) != 3 || got[0].ToEntityType != crm.LinkContacts || !got[0].Metadata.MainContact {
		t.Fatalf("LeadLinks = %+v, %v; want the main contact and two elements", got, err)
	}
	only, err := c.LeadLinks(ctx, deals[0], sandbox.ProductsCatalogID)
	if err != nil || len(only) != 2 || only[1].ToEntityID != links[2].ToEntityID {
		t.Errorf("LeadLinks of the products list = %+v, %v", only, err)
	}
	links[0].EntityID = deals[0]
	if done, err := c.UnlinkLeads(ctx, links[:1]); err != nil || !slices.Equal(done, deals) {
		t.Errorf("UnlinkLeads = %v, %v", done, err)
	}
	if left, _ := c.LeadsCatalogElements(ctx, deals); len(left[deals[0]]) != 1 {
		t.Errorf("after unlinking two of three: %+v", left)
	}
}

func TestTasks(t *testing.T) {
	ctx := context.Background()
	srv, c := listsSandbox(t, sandbox.Modes{})
	deals, _ := dealsWithProducts(t, c, 60, 0)
	var tasks []crm.Task
	for _, d := range deals {
		tasks = append(tasks, crm.Task{Text: "Позвонить покупателю", CompleteTill: 1767225600, TaskTypeID: crm.TaskTypeCall,
			ResponsibleUserID: sandbox.AdminUserID + 1, EntityID: d, EntityType: "leads", RequestID: fmt.Sprint("order-", d)})
	}
	srv.ResetRequests()
	made, err := c.CreateTasks(ctx, tasks)
	if err != nil || len(made) != 60 || made[59].ID == 0 {
		t.Fatalf("CreateTasks: %d, %v", len(made), err)
	}
	if n := requestsTo(srv, http.MethodPost, "/api/v4/tasks"); n != 2 {
		t.Errorf("60 tasks took %d requests, want 2 of at most 50", n)
	}
	found, err := c.TasksOfLeads(ctx, deals[58:])
	if err != nil || len(found) != 2 || found[1].EntityID != deals[59] || found[1].Text != "Позвонить покупателю" {
		t.Errorf("TasksOfLeads = %+v, %v", found, err)
	}
	types, err := c.TaskTypes(ctx)
	if err != nil || len(types) != 3 || types[1].Code != "MEETING" || types[2].ID != sandbox.LettersTaskTypeID {
		t.Errorf("TaskTypes = %+v, %v", types, err)
	}
}

// TestTaskLostAnswer: a task whose answer is lost is found on its deal.
func TestTaskLostAnswer(t *testing.T) {
	ctx := context.Background()
	srv, c := listsSandbox(t, sandbox.Modes{})
	deals, _ := dealsWithProducts(t, c, 1, 0)
	srv.SetFaults(sandbox.Faults{DropAfterWrite: 1})
	_, err := c.CreateTasks(ctx, []crm.Task{{Text: "Позвонить", CompleteTill: 1767225600, EntityID: deals[0], EntityType: "leads"}})
	if !errors.Is(err, amocrm.ErrOutcomeUnknown) {
		t.Fatalf("got %v, want ErrOutcomeUnknown", err)
	}
	found, err := c.TasksOfLeads(ctx, deals)
	if err != nil || len(found) != 1 || !strings.HasPrefix(found[0].Text, "Позвонить") {
		t.Errorf("after the lost answer: %+v, %v; want the task found", found, err)
	}
}
