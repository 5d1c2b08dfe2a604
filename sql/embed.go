// Package sqlfiles embeds the numbered migrations of modx-amocrm's own state
// tables and the documented least-privilege grants.
package sqlfiles

import "embed"

// Migrations holds NNNN_name.sql files; internal/state applies them in order,
// replacing {{prefix}} with state.table_prefix.
//
//go:embed 0*.sql
var Migrations embed.FS

// Grants is sql/grants.sql: the least-privilege MySQL user, for docs and check.
//
//go:embed grants.sql
var Grants string
