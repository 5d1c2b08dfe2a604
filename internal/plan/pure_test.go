package plan

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestPureAllTheWayDown: the plan and the transform do no I/O through any
// of their imports. No package among their dependencies is a database, a
// network client or our adapters, and none of this module's imports os or
// a network package: a plan is a value computed from values. The standard
// library's fmt reaches os (for Printf's os.Stdout), and so does
// robfig/cron (its default logger); those two are the only way os is in
// the list, and neither is used for I/O here.
func TestPureAllTheWayDown(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{.Standard}}\t{{join .Imports \" \"}}",
		"github.com/modx-amocrm/modx-amocrm/internal/plan", "github.com/modx-amocrm/modx-amocrm/internal/transform").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	banned := []string{"database/sql", "database/sql/driver", "net", "net/http", "os/exec", "crypto/tls",
		"github.com/go-sql-driver/mysql", "github.com/jmoiron/sqlx"}
	const module = "github.com/modx-amocrm/modx-amocrm/"
	adapters := []string{"internal/modx", "internal/amocrm", "internal/state", "internal/sandbox", "internal/syncer", "internal/site", "internal/report"}
	var seen int
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		f := strings.SplitN(strings.TrimRight(line, "\n"), "\t", 3)
		pkg, imports := f[0], strings.Fields(f[2])
		seen++
		if slices.Contains(banned, pkg) {
			t.Errorf("%s is among the dependencies", pkg)
		}
		if p, ok := strings.CutPrefix(pkg, module); ok {
			if slices.ContainsFunc(adapters, func(a string) bool { return p == a || strings.HasPrefix(p, a+"/") }) {
				t.Errorf("the adapter %s is among the dependencies", p)
			}
			for _, imp := range imports {
				if imp == "os" || imp == "net" || strings.HasPrefix(imp, "net/") && imp != "net/url" {
					t.Errorf("%s imports %s", p, imp)
				}
			}
		}
	}
	if seen < 10 {
		t.Fatalf("go list named %d packages: %s", seen, out)
	}
}
