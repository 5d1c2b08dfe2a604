package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"

	"github.com/modx-amocrm/modx-amocrm/internal/config"
	"github.com/modx-amocrm/modx-amocrm/internal/grants"
	"github.com/modx-amocrm/modx-amocrm/internal/modx"
	"github.com/modx-amocrm/modx-amocrm/internal/site"
	"github.com/modx-amocrm/modx-amocrm/internal/state"
)

// runGrants prints the SQL of the least-privilege MySQL account the config
// needs: its schemas, prefix, the shop's tables that exist, the state, and
// the [shop_status] writes only when that is on.
func runGrants(ctx context.Context, io IO, args []string) error {
	fs := newFlagSet("grants", io)
	configPath := configFlag(fs)
	dsn := fs.String("dsn", "", "look at the MODX database through this DSN (an administrator's) instead of modx.dsn; "+
		"the schema, prefix and account still come from the config")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cfg, err := readConfig(*configPath)
	if err != nil {
		return err
	}
	if err := grantsKeys(cfg.Validate()); err != nil {
		return err
	}
	schema, found, err := lookAtShop(ctx, cfg, *dsn, io)
	if err != nil {
		return err
	}
	gs, err := grantsSite(cfg, schema, found)
	if err != nil {
		return err
	}
	sc, err := grants.New(gs)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(io.Stdout, sc.SQL())
	return err
}

// grantsKeys keeps the config's problems with the keys the grants depend
// on: the amoCRM side may still be unset when the account is made.
func grantsKeys(err error) error {
	var keep []error
	for _, e := range unjoin(err) {
		var fe *config.FieldError
		if !errors.As(e, &fe) || strings.HasPrefix(fe.Key, "modx.") || strings.HasPrefix(fe.Key, "state.") || strings.HasPrefix(fe.Key, "shop_status.") {
			keep = append(keep, e)
		}
	}
	return errors.Join(keep...)
}

// lookAtShop detects the shop through dsn, else modx.dsn, and says how;
// when the database cannot be read it says so on stderr and returns nil:
// the grants then go on the whole schema.
func lookAtShop(ctx context.Context, cfg *config.Config, dsn string, io IO) (*modx.Schema, string, error) {
	from, err := site.MODXDSN(cfg)
	if err == nil && dsn != "" {
		from, err = onSchema(dsn, cfg.MODX.DSN)
	}
	var db *modx.DB
	if err == nil {
		db, err = modx.Open(ctx, from, modx.Options{Prefix: cfg.MODX.TablePrefix, Location: cfg.MODX.Timezone, Shop: cfg.MODX.Shop})
	}
	var schema *modx.Schema
	if err == nil {
		defer db.Close()
		schema, err = db.Detect(ctx)
	}
	if errors.Is(err, modx.ErrNoShop) || errors.Is(err, modx.ErrTwoShops) {
		// The database answered: the config names the wrong tables.
		return nil, "", err
	}
	if err != nil {
		fmt.Fprintf(io.Stderr, "modx-amocrm grants: the MODX database was not looked at (%v): granting SELECT on its whole schema; "+
			"run it where the database can be read, or with -dsn and an administrator's DSN, for table grants\n", err)
		return nil, "the database was not looked at", nil
	}
	user := "modx.dsn's account"
	if dsn != "" {
		user = "-dsn's account"
	}
	return schema, fmt.Sprintf("%s, %d tables found by %s", schema.Title(), len(schema.Tables), user), nil
}

// onSchema is dsn pointed at the schema of the config's modx.dsn.
func onSchema(dsn, modxDSN string) (string, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", fmt.Errorf("-dsn: %w", err)
	}
	m, err := mysql.ParseDSN(modxDSN)
	if err != nil {
		return "", fmt.Errorf("modx.dsn: %w", err)
	}
	c.DBName = m.DBName
	return c.FormatDSN(), nil
}

// grantsSite is what the grants of cfg depend on, with the shop as
// detected (nil: not looked at).
func grantsSite(cfg *config.Config, schema *modx.Schema, found string) (grants.Site, error) {
	modxConn, err := conn("modx.dsn", cfg.MODX.DSN)
	if err != nil {
		return grants.Site{}, err
	}
	stateConn := modxConn
	if cfg.State.DSN != "" {
		if stateConn, err = conn("state.dsn", cfg.State.DSN); err != nil {
			return grants.Site{}, err
		}
	}
	tables, err := state.Tables()
	if err != nil {
		return grants.Site{}, err
	}
	s := grants.Site{
		MODX: modxConn, State: stateConn,
		StateShared: stateConn.Net == modxConn.Net && stateConn.Addr == modxConn.Addr && stateConn.Schema == modxConn.Schema,
		Prefix:      cfg.MODX.TablePrefix, StatePrefix: cfg.State.TablePrefix, StateTables: tables,
		Found: found, ShopStatus: cfg.ShopStatus.Enabled,
	}
	s.Pools.MODX, s.Pools.State, s.Pools.Lock = site.ShopConns, site.StateConns, site.LockConns
	if schema != nil {
		s.Tables = schema.ReadTables()
		s.Writes = []grants.StatusTargets{targets(schema.Title(), schema.StatusTargets())}
		return s, nil
	}
	for _, shop := range []struct{ name, title string }{{config.ShopMiniShop2, "miniShop2"}, {config.ShopMiniShop3, "MiniShop3"}} {
		if cfg.MODX.Shop != config.ShopAuto && cfg.MODX.Shop != shop.name {
			continue
		}
		t, err := modx.StatusTargetsOf(shop.name, cfg.MODX.TablePrefix)
		if err != nil {
			return grants.Site{}, err
		}
		s.Writes = append(s.Writes, targets(shop.title, t))
	}
	return s, nil
}

func targets(title string, t modx.StatusTargets) grants.StatusTargets {
	return grants.StatusTargets{Title: title, Orders: t.Orders, Columns: t.Columns, Logs: t.Logs}
}

// conn is what grants need of a DSN; it names no password.
func conn(key, dsn string) (grants.Conn, error) {
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return grants.Conn{}, fmt.Errorf("%s: %w", key, err)
	}
	return grants.Conn{User: c.User, Schema: c.DBName, Net: c.Net, Addr: c.Addr}, nil
}

// compareGrants compares the grants of the config's accounts (SHOW GRANTS)
// with what the script of the config gives them: what is missing fails,
// what is more than needed is a warning.
func compareGrants(ctx context.Context, c *checkLines, cfg *config.Config, schema *modx.Schema) {
	gs, err := grantsSite(cfg, schema, "")
	var sc *grants.Script
	if err == nil {
		sc, err = grants.New(gs)
	}
	if err != nil {
		c.fail("grants", err)
		return
	}
	conns := []grants.Conn{gs.MODX}
	dsns := []func(*config.Config) (string, error){site.MODXDSN}
	if gs.State.User != gs.MODX.User || gs.State.Net != gs.MODX.Net || gs.State.Addr != gs.MODX.Addr {
		conns, dsns = append(conns, gs.State), append(dsns, site.StateDSN)
	}
	for i, conn := range conns {
		dsn, err := dsns[i](cfg)
		var account string
		var held grants.Held
		if err == nil {
			account, held, err = showGrants(ctx, dsn)
		}
		if err != nil {
			c.fail("grants", err)
			continue
		}
		need := sc.Needs(conn)
		missing, extra := grants.Compare(need, held.Grants)
		switch {
		case len(missing) > 0 && len(held.Roles) > 0:
			c.warn("grants", "%s lacks %s, unless its roles (%s) grant them; `modx-amocrm grants` prints what it needs",
				account, listGrants(missing), strings.Join(held.Roles, ", "))
		case len(missing) > 0:
			c.fail("grants", fmt.Errorf("%s lacks %s: run what `modx-amocrm grants` prints", account, listGrants(missing)))
		}
		if len(extra) > 0 {
			c.warn("grants", "%s holds more than this config needs: %s; revoke what `modx-amocrm grants` does not print", account, listGrants(extra))
		}
		if len(missing) == 0 && len(extra) == 0 {
			c.ok("grants", "%s holds the %d grants `modx-amocrm grants` prints for this config, and nothing more", account, len(need))
		}
	}
}

// listGrants names grants for a check line, the first few of many.
func listGrants(gs []grants.Grant) string {
	const shown = 6
	if len(gs) <= shown {
		return grants.Join(gs)
	}
	return fmt.Sprintf("%s and %d more", grants.Join(gs[:shown]), len(gs)-shown)
}

// showGrants reads the grants of the account dsn connects as, and its
// name as the server matched it (CURRENT_USER()).
func showGrants(ctx context.Context, dsn string) (string, grants.Held, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "", grants.Held{}, err
	}
	cfg.DBName = "" // the state's schema may not exist yet
	db, err := sqlx.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return "", grants.Held{}, err
	}
	defer db.Close()
	var account string
	var lines []string
	if err := db.GetContext(ctx, &account, "SELECT CURRENT_USER()"); err != nil {
		return "", grants.Held{}, fmt.Errorf("read the account's name: %w", err)
	}
	if err := db.SelectContext(ctx, &lines, "SHOW GRANTS"); err != nil {
		return "", grants.Held{}, fmt.Errorf("read the grants of %s: %w", account, err)
	}
	held, err := grants.Parse(lines)
	return account, held, err
}
