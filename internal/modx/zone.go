package modx

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"
)

// Zone is where the shop's DATETIMEs are read in. miniShop2 and MiniShop3
// write them with PHP's date(), in date_timezone or, when that setting is
// empty (MODX's default, seen in two real dumps: real-installs.md §2.10 and
// §5.6), in php.ini's zone; MODX core and FormIt keep Unix times.
type Zone struct {
	Location *time.Location
	// Source says where the zone came from: "modx.timezone",
	// "date_timezone setting", or how it was guessed.
	Source string
	// Guessed is true when neither names the zone: it was measured from
	// guest checkouts, or is UTC for want of one.
	Guessed bool

	measuredAt time.Time
	samples    int
}

const (
	// zoneSamples is how many of the newest orders a measurement looks at.
	zoneSamples = 500
	// sameRequest is how far apart one checkout request writes the guest's
	// account and the order.
	sameRequest = 10
	// remeasureAfter is how long a measured zone is kept; a guess with no
	// sample is measured again at every Detect.
	remeasureAfter = time.Hour
)

// resolveZone sets the zone from modx.timezone, else the date_timezone
// setting, else a measurement.
func (db *DB) resolveZone(ctx context.Context, tables map[string]*Table) error {
	if db.location != "" {
		loc, err := time.LoadLocation(db.location)
		if err != nil {
			return fmt.Errorf("modx.timezone %q: %w", db.location, err)
		}
		db.zone.Store(&Zone{Location: loc, Source: "modx.timezone"})
		return nil
	}
	set, err := db.settings(ctx, tables, "date_timezone")
	if err != nil {
		return err
	}
	return db.zoneFromSetting(ctx, tables, set["date_timezone"])
}

// zoneFromSetting sets the zone from date_timezone's value, measuring it
// again when the setting is empty and the last guess is stale.
func (db *DB) zoneFromSetting(ctx context.Context, tables map[string]*Table, name string) error {
	if db.location != "" {
		return nil
	}
	if name != "" {
		loc, err := time.LoadLocation(name)
		if err != nil {
			return fmt.Errorf("date_timezone setting %q: %w", name, err)
		}
		db.zone.Store(&Zone{Location: loc, Source: "date_timezone setting"})
		return nil
	}
	if z := db.zone.Load(); z != nil && z.Guessed && z.samples > 0 && time.Since(z.measuredAt) < remeasureAfter {
		return nil
	}
	z, err := db.measureZone(ctx, tables)
	if err != nil {
		return err
	}
	db.zone.Store(z)
	return nil
}

// measureZone guesses the shop's UTC offset from guest checkouts: checkout
// makes a guest's account (users.createdon, Unix time) and the order
// (createdon, PHP's local time) in one request, so for an account its
// order made the two differ by the offset, to within seconds. The offset
// most of the newest orders agree on wins. Other orders (returning
// customers, accounts made long before) differ by days, or by hours that
// seldom fall within seconds of a quarter hour, and are outvoted.
func (db *DB) measureZone(ctx context.Context, tables map[string]*Table) (*Zone, error) {
	guess := &Zone{Location: time.UTC, Guessed: true, measuredAt: time.Now(),
		Source: "a guess, as date_timezone is empty and no guest checkout shows the offset"}
	s := &Schema{Tables: tables}
	n, err := chooseShop(s, db.shop)
	if err != nil || !s.Has(n.orders, "user_id") || !s.Has(n.orders, "createdon") || !s.Has("users", "createdon") {
		return guess, nil // no shop to measure from: the guess stands
	}
	votes := map[int64]int{}
	q := "SELECT o.createdon, u.createdon FROM " + db.table(n.orders) + " o JOIN " + db.table("users") +
		" u ON u.id = o.user_id WHERE u.createdon > 0 ORDER BY o.id DESC LIMIT ?"
	err = db.each(ctx, "measure the shop's zone", q, args(zoneSamples), func(rows *sql.Rows) error {
		var (
			wall sql.NullTime
			unix int64
		)
		if err := rows.Scan(&wall, &unix); err != nil {
			return err
		}
		if !wall.Valid || wall.Time.IsZero() {
			return nil
		}
		d := wall.Time.Unix() - unix // wall was scanned as if in UTC
		off := int64(math.Round(float64(d)/900)) * 900
		if abs(d-off) <= sameRequest && abs(off) <= 14*3600 {
			votes[off]++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	best, most := int64(0), 0
	for off, n := range votes {
		if n > most || n == most && (abs(off) < abs(best) || abs(off) == abs(best) && off < best) {
			best, most = off, n
		}
	}
	if most == 0 {
		return guess, nil
	}
	guess.Location, guess.samples = time.FixedZone(offsetName(best), int(best)), most
	guess.Source = fmt.Sprintf("measured, %d guest checkouts agree; a guess, as date_timezone is empty", most)
	return guess, nil
}

// offsetName names a fixed offset the way people write it: "UTC+03:00".
func offsetName(sec int64) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("UTC%c%02d:%02d", sign, sec/3600, sec%3600/60)
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// Now is the database server's clock. The shop's PHP runs next to it, so
// rows' own times and the moments the connector first saw them are told
// apart on one clock (sync.settle).
func (db *DB) Now(ctx context.Context) (time.Time, error) {
	qctx, cancel := db.query(ctx)
	defer cancel()
	var sec int64
	if err := db.sql.GetContext(qctx, &sec, "SELECT UNIX_TIMESTAMP()"); err != nil {
		return time.Time{}, fmt.Errorf("read the database clock: %w", err)
	}
	return time.Unix(sec, 0), nil
}
