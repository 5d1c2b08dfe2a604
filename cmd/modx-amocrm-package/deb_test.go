package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
)

// fixture is a source tree, a binary and its build info, made by code.
type fixture struct {
	src, binary, goroot, moduleDir string
	build                          *debug.BuildInfo
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{
		src:       filepath.Join(dir, "src"),
		binary:    filepath.Join(dir, "modx-amocrm"),
		goroot:    filepath.Join(dir, "goroot"),
		moduleDir: filepath.Join(dir, "mod"),
		build: &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Path:      mainPath,
			Deps:      []*debug.Module{{Path: "example.com/dep", Version: "v1.0.0"}},
			Settings:  []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}},
		},
	}
	licence, err := os.ReadFile(filepath.Join("..", "..", "LICENSE")) // the repository's own
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, f.src, map[string]string{
		"LICENSE":                       string(licence),
		"systemd/modx-amocrm.service":   "[Service]\nExecStart=/usr/bin/modx-amocrm run\n",
		"systemd/modx-amocrm@.service":  "[Service]\nExecStart=/usr/bin/modx-amocrm run -config %i\n",
		"README.md":                     "# modx-amocrm\n",
		"config.example.toml":           "[modx]\n",
		"sql/grants.sql":                "GRANT SELECT;\n",
		"cmd/modx-amocrm/modx-amocrm.1": ".TH MODX\\-AMOCRM 1\n",
	})
	writeFiles(t, f.goroot, map[string]string{"LICENSE": "Go licence\n", "PATENTS": "Go patents\n"})
	writeFiles(t, f.moduleDir, map[string]string{"LICENSE.txt": "dep licence\n", "README": "not a licence\n"})
	writeFiles(t, dir, map[string]string{"modx-amocrm": "\x7fELF not really\n"})
	return f
}

func (f fixture) options(out string) options {
	return options{
		binary:     f.binary,
		build:      f.build,
		version:    "v1.2.0-3-gabc1234",
		srcDir:     f.src,
		outDir:     out,
		maintainer: "Test <test@example.com>",
		mtime:      time.Unix(1700000000, 0).UTC(),
		goroot:     f.goroot,
		moduleDirs: func(mods []*debug.Module) (map[string]string, error) {
			return map[string]string{"example.com/dep@v1.0.0": f.moduleDir}, nil
		},
	}
}

func TestBuild(t *testing.T) {
	f := newFixture(t)
	out := t.TempDir()
	path, err := build(f.options(out))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(out, "modx-amocrm_1.2.0+3.gabc1234_amd64.deb"); path != want {
		t.Errorf("package path = %s, want %s", path, want)
	}
	control, data := readDeb(t, path)

	for _, want := range []string{
		"Package: modx-amocrm\n", "Version: 1.2.0+3.gabc1234\n", "Architecture: amd64\n",
		"Maintainer: Test <test@example.com>\n", "Section: net\n", "Homepage: " + homepage + "\n",
		"Description: keeps amoCRM in step with a MODX miniShop2 or MiniShop3 shop\n",
	} {
		if !strings.Contains(control["./control"].body, want) {
			t.Errorf("control lacks %q:\n%s", want, control["./control"].body)
		}
	}
	for _, script := range []string{"./postinst", "./postrm"} {
		if got := control[script]; got.body != string(daemonReload) || got.mode != 0o755 {
			t.Errorf("%s = %o %q, want 0755 daemon-reload.sh", script, got.mode, got.body)
		}
	}
	if names := slices.Sorted(maps.Keys(control)); !slices.Equal(names, []string{"./control", "./md5sums", "./postinst", "./postrm"}) {
		t.Errorf("control archive holds %v, want no conffiles and no other scripts", names)
	}

	want := map[string]string{
		"./usr/bin/modx-amocrm":                                    "755 \x7fELF not really\n",
		"./lib/systemd/system/modx-amocrm.service":                 "644 [Service]\nExecStart=/usr/bin/modx-amocrm run\n",
		"./lib/systemd/system/modx-amocrm@.service":                "644 [Service]\nExecStart=/usr/bin/modx-amocrm run -config %i\n",
		"./usr/share/doc/modx-amocrm/README.md":                    "644 # modx-amocrm\n",
		"./usr/share/doc/modx-amocrm/examples/config.example.toml": "644 [modx]\n",
		"./usr/share/doc/modx-amocrm/examples/grants.sql":          "644 GRANT SELECT;\n",
		"./usr/share/man/man1/modx-amocrm.1.gz":                    "644 .TH MODX\\-AMOCRM 1\n",
		"./usr/share/lintian/overrides/modx-amocrm":                "644 " + string(lintianOverrides),
		"./usr/share/doc/modx-amocrm/changelog.gz": "644 modx-amocrm (1.2.0+3.gabc1234) unstable; urgency=medium\n\n" +
			"  * Built from " + homepage + "\n    at this version; the changes are in its git history.\n\n" +
			" -- Test <test@example.com>  Tue, 14 Nov 2023 22:13:20 +0000\n",
	}
	copyright := data["./usr/share/doc/modx-amocrm/copyright"]
	delete(data, "./usr/share/doc/modx-amocrm/copyright")
	for name, file := range data {
		if file.typ == tar.TypeDir {
			continue
		}
		got := fmt.Sprintf("%o %s", file.mode, file.body)
		if w, ok := want[name]; !ok {
			t.Errorf("package has %s, which it should not", name)
		} else if got != w {
			t.Errorf("%s = %q, want %q", name, got, w)
		}
		if file.uname != "root" || file.gname != "root" || !file.mtime.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("%s is %s:%s at %v, want root:root at SOURCE_DATE_EPOCH", name, file.uname, file.gname, file.mtime)
		}
		delete(want, name)
	}
	for name := range want {
		t.Errorf("package lacks %s", name)
	}
	project := "modx-amocrm\nSource: " + homepage + "\n\nApache License 2.0; on Debian systems its text is in\n" +
		"/usr/share/common-licenses/Apache-2.0.\nCopyright 2026 The modx-amocrm authors\n\n"
	if !strings.HasPrefix(copyright.body, project) {
		t.Errorf("copyright does not start with the project's licence %q:\n%s", project, copyright.body)
	}
	for _, want := range []string{"Go go1.26.8\n", "Go licence", "Go patents", "example.com/dep v1.0.0\n", "dep licence"} {
		if !strings.Contains(copyright.body, want) {
			t.Errorf("copyright lacks %q:\n%s", want, copyright.body)
		}
	}
	if strings.Contains(copyright.body, "not a licence") {
		t.Errorf("copyright took a README for a licence:\n%s", copyright.body)
	}
}

// TestBuildReproduces builds the same inputs twice: one commit, one package.
func TestBuildReproduces(t *testing.T) {
	f := newFixture(t)
	a, err := build(f.options(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	b, err := build(f.options(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if len(da) == 0 || !bytes.Equal(da, db) {
		t.Errorf("two builds of the same inputs differ (%d and %d bytes)", len(da), len(db))
	}
}

func TestBuildRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*options)
		want   string
	}{
		{"another binary", func(o *options) { o.build = &debug.BuildInfo{Path: "example.com/other", Settings: o.build.Settings} }, "not the modx-amocrm binary"},
		{"not linux", func(o *options) {
			o.build = &debug.BuildInfo{Path: mainPath, Settings: []debug.BuildSetting{{Key: "GOOS", Value: "darwin"}, {Key: "GOARCH", Value: "arm64"}}}
		}, `GOOS="darwin"`},
		{"untagged version", func(o *options) { o.version = "b8cbf8b" }, "want a tag like v1.2.0"},
		{"module without licence", func(o *options) {
			o.moduleDirs = func([]*debug.Module) (map[string]string, error) {
				return map[string]string{"example.com/dep@v1.0.0": t.TempDir()}, nil
			}
		}, "no LICENSE or COPYING file"},
		{"module not found", func(o *options) {
			o.moduleDirs = func([]*debug.Module) (map[string]string, error) { return nil, nil }
		}, "licence of example.com/dep@v1.0.0"},
		{"missing unit", func(o *options) { o.srcDir = t.TempDir() }, ""},
	}
	f := newFixture(t)
	for _, tt := range tests {
		out := t.TempDir()
		o := f.options(out)
		tt.change(&o)
		path, err := build(o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: build = %q, %v; want an error containing %q", tt.name, path, err, tt.want)
		}
		if left, _ := os.ReadDir(out); len(left) != 0 {
			t.Errorf("%s: a failed build left %s in the output directory", tt.name, left[0].Name())
		}
	}
}

func TestNfpmArch(t *testing.T) {
	tests := []struct {
		settings map[string]string
		want     string
	}{
		{map[string]string{"GOOS": "linux", "GOARCH": "amd64"}, "amd64"},
		{map[string]string{"GOOS": "linux", "GOARCH": "arm64"}, "arm64"},
		{map[string]string{"GOOS": "linux", "GOARCH": "arm", "GOARM": "7"}, "arm7"},
	}
	for _, tt := range tests {
		bi := &debug.BuildInfo{}
		for k, v := range tt.settings {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: k, Value: v})
		}
		if got, err := nfpmArch(bi); err != nil || got != tt.want {
			t.Errorf("nfpmArch(%v) = %q, %v; want %q", tt.settings, got, err, tt.want)
		}
	}
	if _, err := nfpmArch(&debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}}}); err == nil {
		t.Error("nfpmArch without GOARCH: want an error")
	}
}

// TestLicenceFile: the repository's LICENSE is the project's copyright line,
// then the Apache License 2.0 exactly as apache.org publishes it
// (https://www.apache.org/licenses/LICENSE-2.0.txt, the text Debian keeps in
// /usr/share/common-licenses/Apache-2.0), so licence detectors know it.
func TestLicenceFile(t *testing.T) {
	const apacheSHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"
	text, err := os.ReadFile(filepath.Join("..", "..", "LICENSE"))
	if err != nil {
		t.Fatal(err)
	}
	first, rest, _ := bytes.Cut(text, []byte("\n"))
	if got, want := string(first), "Copyright 2026 The modx-amocrm authors"; got != want {
		t.Errorf("LICENSE starts %q, want %q", got, want)
	}
	if sum := fmt.Sprintf("%x", sha256.Sum256(rest)); sum != apacheSHA256 {
		t.Errorf("LICENSE after its first line: sha256 %s, want %s (the Apache License 2.0 text)", sum, apacheSHA256)
	}
}

func TestCommonLicence(t *testing.T) {
	apache := "                                 Apache License\n                           Version 2.0, January 2004\n" +
		"   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n   ...\n" +
		"      Copyright [yyyy] [name of copyright owner]\n"
	tests := []struct{ name, text, want string }{
		{"Apache 2.0 is a pointer", apache, "Apache License 2.0; on Debian systems its text is in\n/usr/share/common-licenses/Apache-2.0."},
		{"a filled copyright line stays", apache + "   Copyright 2015 The Authors\n",
			"Apache License 2.0; on Debian systems its text is in\n/usr/share/common-licenses/Apache-2.0.\nCopyright 2015 The Authors"},
		{"MIT stays whole", "MIT License\n\nCopyright (c) 2020 Someone\n", "MIT License\n\nCopyright (c) 2020 Someone\n"},
	}
	for _, tt := range tests {
		if got := string(commonLicence([]byte(tt.text))); got != tt.want {
			t.Errorf("%s: commonLicence = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// debFile is one member of a package's control or data archive.
type debFile struct {
	typ          byte
	mode         int64
	uname, gname string
	mtime        time.Time
	body         string // gunzipped for .gz files
}

// readDeb reads a .deb (an ar archive of debian-binary, control.tar.gz and
// data.tar.xz) into its control and data members.
func readDeb(t *testing.T, path string) (control, data map[string]debFile) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	members := map[string][]byte{}
	rest, ok := bytes.CutPrefix(raw, []byte("!<arch>\n"))
	if !ok {
		t.Fatal("not an ar archive")
	}
	for len(rest) >= 60 {
		name := strings.TrimRight(strings.TrimSpace(string(rest[:16])), "/")
		size, err := strconv.Atoi(strings.TrimSpace(string(rest[48:58])))
		if err != nil {
			t.Fatalf("ar member %s: size: %v", name, err)
		}
		members[name] = rest[60 : 60+size]
		rest = rest[60+size+size%2:]
	}
	if got := string(members["debian-binary"]); got != "2.0\n" {
		t.Errorf("debian-binary = %q, want 2.0", got)
	}
	gz, err := gzip.NewReader(bytes.NewReader(members["control.tar.gz"]))
	if err != nil {
		t.Fatal(err)
	}
	xzr, err := xz.NewReader(bytes.NewReader(members["data.tar.xz"]))
	if err != nil {
		t.Fatal(err)
	}
	return readTar(t, gz), readTar(t, xzr)
}

func readTar(t *testing.T, r io.Reader) map[string]debFile {
	t.Helper()
	files := map[string]debFile{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(h.Name, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			if err != nil {
				t.Fatalf("%s: %v", h.Name, err)
			}
			if body, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", h.Name, err)
			}
			if zr.Name != "" || !zr.ModTime.IsZero() { // gzip -n: builds reproduce
				t.Errorf("%s: gzip header holds name %q, time %v", h.Name, zr.Name, zr.ModTime)
			}
		}
		files[h.Name] = debFile{typ: h.Typeflag, mode: h.Mode, uname: h.Uname, gname: h.Gname, mtime: h.ModTime, body: string(body)}
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
