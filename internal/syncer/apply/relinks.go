package apply

import (
	"context"
	"fmt"

	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/plan"
)

// relinkCRM is what relinks call.
type relinkCRM interface {
	linker
	UnlinkLeads(ctx context.Context, links []crm.Link) ([]int64, error)
}

// relinks change the product links of edited orders' deals
// (plan.Relinking), under their orders' markers: every unlink first
// (leads/unlink), then every link (leads/link), many deals a request, as
// productLinks send links. Unlinking first makes a requantified product's
// link its new quantity on every account: linking an element a deal has may
// add to its quantity. A deal whose unlinks amoCRM refused gets no links.
// After an unknown outcome the deals' elements are read back: a deal that
// holds what it should is done; the others are read back again and
// finished at the next comparison.
type relinks struct {
	crm  relinkCRM
	read linkReader
}

func (r relinks) write(ctx context.Context, pl *plan.Plan) error {
	all := pl.Relinking()
	var todo []*plan.Deal
	for _, d := range all {
		x := d.Revision.Relink
		if x.Unlinked = len(x.Unlink) == 0; !x.Unlinked {
			todo = append(todo, d)
		}
	}
	unlink := linkSend{send: r.crm.UnlinkLeads, refusal: "amoCRM refused the unlinks of the deal's products: ",
		of: func(d *plan.Deal) ([]crm.Link, *bool, *string) {
			x := d.Revision.Relink
			return x.Unlink, &x.Unlinked, &x.Refused
		}}
	lost, err := unlink.all(ctx, todo)
	if err != nil {
		return fmt.Errorf("unlink products: %w", err)
	}
	var next []*plan.Deal
	for _, d := range all {
		switch x := d.Revision.Relink; {
		case !x.Unlinked || x.Refused != "": // unlinks lost or refused: no links
		case len(x.Link) == 0:
			x.Done = true
		default:
			next = append(next, d)
		}
	}
	link := linkSend{send: r.crm.LinkLeads, refusal: "amoCRM refused the deal's products: ",
		of: func(d *plan.Deal) ([]crm.Link, *bool, *string) {
			x := d.Revision.Relink
			return x.Link, &x.Done, &x.Refused
		}}
	more, err := link.all(ctx, next)
	if err != nil {
		return fmt.Errorf("link products: %w", err)
	}
	return r.read.deals(ctx, append(lost, more...), func(d *plan.Deal, have []crm.ElementLink, read bool) {
		x := d.Revision.Relink
		if x.Done = read && x.Holds(have); !x.Done {
			x.Unknown = true
		}
	})
}
