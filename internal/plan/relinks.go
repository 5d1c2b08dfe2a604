package plan

import (
	"github.com/modx-amocrm/modx-amocrm/internal/crm"
	"github.com/modx-amocrm/modx-amocrm/internal/transform"
)

// Relink changes an edited order's product links: the elements of the
// products that went and of those whose quantity changed are unlinked,
// then the products that came and the requantified ones linked with their
// quantities. Unlink first: linking an element again may add to its
// quantity instead of setting it (sandbox -links-strict). Where an earlier
// try may have sent some of it, the deal's elements are read back and only
// what still differs is sent.
type Relink struct {
	// Lines are the products linked, with their new quantities.
	Lines []transform.ProductLine
	// Drop are the elements unlinked (products our state has elements
	// for: only those were ever linked).
	Drop []int64
	// Have are the deal's elements as amoCRM had them when planned, read
	// (Read) where an earlier try may have sent some of it.
	Have []crm.ElementLink
	Read bool
	// Hash is of the deal's quantities once done: its products link row.
	Hash string

	// Unlink, Link and Missing are set by Relinking: what is sent, and
	// the products whose element is not written yet.
	Unlink, Link []crm.Link
	Missing      []int64

	Unlinked bool   // outcome: Unlink is sent
	Done     bool   // outcome: Unlink and Link are sent
	Refused  string // outcome: amoCRM refused them
	Unknown  bool   // outcome: no answer, and the read-back did not show them done
}

// Relinking returns the edited deals whose links change now (the deal is
// written), each with the unlinks and links it sends: all of them, or,
// where the deal's elements were read back, what still differs from what
// it should have.
func (p *Plan) Relinking() []*Deal {
	ids := p.Elements.ids()
	var out []*Deal
	for _, d := range p.Deals {
		r := d.Revision
		if r == nil || r.Relink == nil || !d.written() {
			continue
		}
		x := r.Relink
		want, missing := transform.ProductLinks(d.ID, p.Meta.Products.Catalog.ID, x.Lines, ids)
		drop := make([]crm.Link, len(x.Drop))
		for i, id := range x.Drop {
			drop[i] = crm.Link{EntityID: d.ID, ToEntityID: id, ToEntityType: crm.LinkCatalogElements,
				Metadata: &crm.LinkMetadata{CatalogID: p.Meta.Products.Catalog.ID}}
		}
		x.Unlink, x.Link = relinks(want, drop, x.Have, x.Read)
		x.Missing = missing
		out = append(out, d)
	}
	return out
}

// relinks are the unlinks and links that give a deal the links want and
// none of drop. Without a read-back the deal has what it was last sent:
// drop goes, want comes. With one (have), a wanted element already linked
// with its quantity is left alone, one with another quantity is unlinked
// and linked again, and only a dropped element still linked is unlinked.
func relinks(want, drop []crm.Link, have []crm.ElementLink, read bool) (unlink, link []crm.Link) {
	if !read {
		return drop, want
	}
	linked := make(map[int64]float64, len(have))
	for _, h := range have {
		linked[h.ID] = h.Metadata.Quantity
	}
	wanted := map[int64]bool{}
	for _, w := range want {
		wanted[w.ToEntityID] = true
		q, ok := linked[w.ToEntityID]
		if ok && q == w.Metadata.Quantity {
			continue
		}
		if ok {
			unlink = append(unlink, w)
		}
		link = append(link, w)
	}
	for _, d := range drop {
		if _, ok := linked[d.ToEntityID]; ok && !wanted[d.ToEntityID] {
			unlink = append(unlink, d)
		}
	}
	return unlink, link
}

// Holds reports whether a deal's elements, read back, show the relink
// done: every link sent with its quantity, no unlinked element left but
// those linked again.
func (x *Relink) Holds(have []crm.ElementLink) bool {
	unlink, link := relinks(x.Link, x.Unlink, have, true)
	return len(unlink)+len(link) == 0
}

// attempted reports whether the relink was sent, refused or lost.
func (x *Relink) attempted() bool { return x.Done || x.Refused != "" || x.Unknown }

// missing says why products are not linked (Plan.missingElements).
func (x *Relink) missing(p *Plan) (reason string, refused bool) {
	return p.missingElements(x.Missing, "at the next comparison")
}
