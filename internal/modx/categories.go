package modx

import (
	"context"
	"database/sql"
	"fmt"
)

// maxAncestry bounds a parent chain, as the old extra's getParentIds(id, 10)
// did; it also stops a corrupt cycle.
const maxAncestry = 10

// ResetCaches forgets the cached site_content parents and account facts;
// call it at the start of a pass so moved resources and accounts' new
// orders are seen again.
func (db *DB) ResetCaches() {
	db.mu.Lock()
	db.parents, db.accounts = nil, nil
	db.mu.Unlock()
}

// loadParents makes sure the parent chains of ids are cached, fetching
// missing resources level by level: one query per tree level, not per id.
func (db *DB) loadParents(ctx context.Context, ids []int64) error {
	want := ids
	for level := 0; level <= maxAncestry && len(want) > 0; level++ {
		missing := db.uncachedParents(want)
		if len(missing) == 0 {
			return nil
		}
		found := make(map[int64]int64, len(missing))
		err := db.each(ctx, fmt.Sprintf("read parents of %d resources", len(missing)),
			"SELECT id, parent FROM "+db.table("site_content")+" WHERE id IN (?)", args(missing),
			func(rows *sql.Rows) error {
				var id, parent int64
				err := rows.Scan(&id, &parent)
				found[id] = parent
				return err
			})
		if err != nil {
			return err
		}
		db.mu.Lock()
		if db.parents == nil {
			db.parents = map[int64]int64{}
		}
		want = want[:0:0]
		for _, id := range missing {
			parent := found[id] // a deleted resource ends its chain (parent 0)
			db.parents[id] = parent
			if parent > 0 {
				want = append(want, parent)
			}
		}
		db.mu.Unlock()
	}
	return nil
}

func (db *DB) uncachedParents(ids []int64) []int64 {
	db.mu.Lock()
	defer db.mu.Unlock()
	var missing []int64
	seen := map[int64]bool{}
	for _, id := range ids {
		if _, ok := db.parents[id]; !ok && id > 0 && !seen[id] {
			seen[id] = true
			missing = append(missing, id)
		}
	}
	return missing
}

// ancestry returns id's parent chain from the cache, nearest first, root 0
// excluded; loadParents must have run for id.
func (db *DB) ancestry(id int64) []int64 {
	db.mu.Lock()
	defer db.mu.Unlock()
	var chain []int64
	for p := db.parents[id]; p > 0 && len(chain) < maxAncestry; p = db.parents[p] {
		chain = append(chain, p)
	}
	return chain
}
