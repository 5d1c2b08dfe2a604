package dryrun

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/modx-amocrm/modx-amocrm/internal/syncer"
)

// TestLedgerOverridesAllButPureReads: the dry run's ledger embeds the
// ledger under it, so a method it does not declare reaches the real state.
// Only the reads its memory cannot change may be left to base.
func TestLedgerOverridesAllButPureReads(t *testing.T) {
	passThrough := []string{"OrderSignatures", "SentOrders"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, name := range files {
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != "dryrun" {
			continue // an external test package
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil {
				continue
			}
			if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok && id.Name == "ledger" {
					declared[fn.Name.Name] = true
				}
			}
		}
	}
	iface := reflect.TypeFor[syncer.Ledger]()
	for i := range iface.NumMethod() {
		name := iface.Method(i).Name
		if got, want := declared[name], !slices.Contains(passThrough, name); got != want {
			t.Errorf("dry-run ledger declares %s: got %v, want %v", name, got, want)
		}
	}
}
