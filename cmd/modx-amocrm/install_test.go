package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// TestGoInstallAtVersion installs the command as a user would,
// `go install github.com/modx-amocrm/modx-amocrm/cmd/modx-amocrm@v1.2.3`,
// from a module proxy on disk that serves this working tree as v1.2.3, and
// runs `version`. It fails when the module path is wrong, when go.mod has a
// replace directive (go install refuses those), or when the version is not
// the module version. It runs offline: the other modules come from this
// machine's module cache, through a throw-away one, so nothing here
// pollutes the real cache with a fake v1.2.3.
func TestGoInstallAtVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole command")
	}
	const modPath, ver = "github.com/modx-amocrm/modx-amocrm", "v1.2.3"
	root := goEnv(t, "", "GOMOD")
	root = filepath.Dir(root)
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	writeProxyModule(t, proxy, root, module.Version{Path: modPath, Version: ver})

	gobin := filepath.Join(tmp, "bin")
	cmd := exec.Command("go", "install", modPath+"/cmd/modx-amocrm@"+ver)
	cmd.Dir = tmp // outside the module: go install pkg@version ignores it anyway
	cmd.Env = append(os.Environ(),
		"GOBIN="+gobin,
		"GOMODCACHE="+filepath.Join(tmp, "modcache"),
		"GOPROXY=file://"+proxy+",file://"+filepath.Join(goEnv(t, root, "GOMODCACHE"), "cache", "download"),
		// The fake v1.2.3 is in no checksum database, and the database is
		// not reachable offline; the dependencies come from this machine's
		// module cache, which go.sum checked when it was filled.
		"GOSUMDB=off",
		"GOFLAGS=-modcacherw -trimpath",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
	)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go install %s/cmd/modx-amocrm@%s: %v\n%s", modPath, ver, err, out)
	}

	out, err := exec.Command(filepath.Join(gobin, "modx-amocrm"), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("modx-amocrm version: %v\n%s", err, out)
	}
	if want := "modx-amocrm " + ver + " ("; !strings.HasPrefix(string(out), want) {
		t.Errorf("modx-amocrm version = %q, want it to start with %q", out, want)
	}
}

// writeProxyModule lays out m in GOPROXY form under dir: list, .info, .mod
// and a .zip of the files git would commit from root (tracked, or new and
// not ignored), so build output such as dist/ stays out.
func writeProxyModule(t *testing.T, dir, root string, m module.Version) {
	t.Helper()
	escaped, err := module.EscapePath(m.Path)
	if err != nil {
		t.Fatal(err)
	}
	v := filepath.Join(dir, escaped, "@v")
	if err := os.MkdirAll(v, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"list":              []byte(m.Version + "\n"),
		m.Version + ".info": []byte(`{"Version":"` + m.Version + `","Time":"2026-01-01T00:00:00Z"}`),
		m.Version + ".mod":  gomod,
	} {
		if err := os.WriteFile(filepath.Join(v, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	ls := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	ls.Dir = root
	names, err := ls.Output()
	if err != nil {
		t.Fatalf("git ls-files in %s: %v", root, err)
	}
	var files []modzip.File
	for _, name := range strings.Split(strings.TrimRight(string(names), "\x00"), "\x00") {
		if _, err := os.Lstat(filepath.Join(root, name)); err == nil { // a deleted tracked file is not in the tree
			files = append(files, diskFile{root: root, path: name})
		}
	}
	var zip bytes.Buffer
	if err := modzip.Create(&zip, m, files); err != nil {
		t.Fatalf("module zip: %v", err)
	}
	if err := os.WriteFile(filepath.Join(v, m.Version+".zip"), zip.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// diskFile is one file of the working tree, for modzip.Create.
type diskFile struct{ root, path string }

func (f diskFile) Path() string                 { return f.path }
func (f diskFile) Lstat() (os.FileInfo, error)  { return os.Lstat(filepath.Join(f.root, f.path)) }
func (f diskFile) Open() (io.ReadCloser, error) { return os.Open(filepath.Join(f.root, f.path)) }

func goEnv(t *testing.T, dir, key string) string {
	t.Helper()
	cmd := exec.Command("go", "env", key)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		t.Fatalf("go env %s: %v %s", key, err, out)
	}
	return string(bytes.TrimSpace(out))
}
