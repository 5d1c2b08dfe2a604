package apply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/shopstatus"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// errNoShop is a wiring mistake: shop_status is on and the writer was
// built without the shop to write to.
var errNoShop = errors.New("shop_status is on but the writer has no shop to write to")

// shopStatuses write a [shop_status] batch to the shop: the log rows of
// writes a crash interrupted, then the status changes, each under a pending
// marker committed before the batch starts. An order the shop moved
// meanwhile is left as it is.
type shopStatuses struct {
	shop   Shop // nil: [shop_status] is off
	ledger marker
	log    *slog.Logger
	now    func() time.Time
}

func (s shopStatuses) write(ctx context.Context, pl *shopstatus.Plan) error {
	if len(pl.Changes)+len(pl.Resumed) == 0 {
		return nil
	}
	if s.shop == nil {
		return errNoShop
	}
	for _, r := range pl.Resumed {
		if r.Step != shopstatus.LogThenLink {
			continue
		}
		m := r.Marker
		if _, err := s.shop.LogStatus(ctx, modx.StatusWrite{OrderID: m.Order, From: m.From, To: m.To, At: time.Unix(m.At, 0)}); err != nil {
			return err
		}
		s.log.Warn("status write finished after a crash: log row written", "source", shopstatus.Source, "order_id", m.Order, "to", m.To)
	}
	if len(pl.Changes) == 0 {
		return nil
	}
	at := s.now()
	marks := make([]state.PendingCreate, len(pl.Changes))
	for i, c := range pl.Changes {
		m := c.Marker(at)
		marks[i] = state.PendingCreate{Kind: shopstatus.MarkerKind, SourceID: m.Order, Key: m.Key()}
	}
	if err := s.ledger.MarkPendings(ctx, marks, nil); err != nil {
		return fmt.Errorf("mark status writes pending: %w", err)
	}
	for _, c := range pl.Changes {
		id, err := s.shop.WriteStatus(ctx, modx.StatusWrite{OrderID: c.Order.ID, From: c.Order.Status, To: c.To, At: at})
		switch {
		case errors.Is(err, modx.ErrStatusMoved):
			c.Moved = true
			s.log.Info("order changed in the shop meanwhile; its deal's move is not followed", "source", shopstatus.Source,
				"order_id", c.Order.ID, "lead_id", c.Move.Lead)
		case err != nil:
			return err
		default:
			c.LogID = id
			s.log.Info("order follows its deal", "source", shopstatus.Source, "order_id", c.Order.ID, "lead_id", c.Move.Lead,
				"from", c.Order.Status, "to", c.To)
		}
	}
	return nil
}
