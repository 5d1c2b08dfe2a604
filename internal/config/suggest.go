package config

import (
	"reflect"
	"strings"
)

// suggestKey returns the known key nearest to an unknown one, for "did you
// mean": a sibling in the same table (or a top-level table) at an edit
// distance of at most a third of its length, or "" when none is that close.
// Keys under maps (status_map, forms.form) are free-form and get none. key is
// the unknown key's path, indexed its dotted form with array-table indexes.
func suggestKey(key []string, indexed string) string {
	if len(key) == 0 {
		return ""
	}
	parent, ok := resolveType(configType, key[:len(key)-1])
	if !ok {
		return ""
	}
	if parent.Kind() == reflect.Slice {
		parent = parent.Elem()
	}
	if parent.Kind() != reflect.Struct || parent == durationType || parent == idRefType {
		return ""
	}
	bad := key[len(key)-1]
	best, bestDist := "", len([]rune(bad))/3+1
	for i := range parent.NumField() {
		f := parent.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		if d := editDistance(bad, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best == "" {
		return ""
	}
	return strings.TrimSuffix(indexed, joinKey(bad)) + best
}

// editDistance is the Levenshtein distance of a and b in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
