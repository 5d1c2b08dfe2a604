package account

import (
	"context"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// PlanFields adds to pl the custom fields its records need and the account
// lacks (auto_create_fields), with made-up ids in the metadata, and
// rebuilds the mapper: the batch is then mapped again, and its payloads
// carry the planned ids until the writer makes the fields (FieldsMade).
// It reports whether it planned any.
func (a *Account) PlanFields(pl *plan.Plan, lead, contact []transform.FieldSpec) (bool, error) {
	added := false
	for _, set := range []struct {
		entity string
		specs  []transform.FieldSpec
		fields *[]crm.CustomField
	}{
		{"lead", lead, &a.meta.LeadFields},
		{"contact", contact, &a.meta.ContactFields},
	} {
		for _, spec := range set.specs {
			if pl.Field(set.entity, spec.Name) != nil {
				continue
			}
			a.seq--
			f := &plan.Field{Source: pl.Source, Entity: set.entity, Spec: spec, ID: a.seq}
			pl.Fields = append(pl.Fields, f)
			*set.fields = append(*set.fields, crm.CustomField{ID: f.ID, Name: spec.Name, Code: spec.Code, Type: spec.Type})
			added = true
		}
	}
	if !added {
		return false, nil
	}
	return true, a.remap()
}

// FieldsMade puts the ids amoCRM gave the planned fields (made-up id ->
// id) in the metadata, caches it and rebuilds the mapper.
func (a *Account) FieldsMade(ctx context.Context, ids map[int64]int64) error {
	for _, fields := range []*[]crm.CustomField{&a.meta.LeadFields, &a.meta.ContactFields} {
		for i := range *fields {
			if id, ok := ids[(*fields)[i].ID]; ok {
				(*fields)[i].ID = id
			}
		}
	}
	if err := a.save(ctx); err != nil {
		return err
	}
	return a.remap()
}
