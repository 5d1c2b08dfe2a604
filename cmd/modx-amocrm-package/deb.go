package main

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

const (
	pkgName  = "modx-amocrm"
	mainPath = "github.com/modx-amocrm/modx-amocrm/cmd/modx-amocrm"
	homepage = "https://github.com/modx-amocrm/modx-amocrm"
	docDir   = "/usr/share/doc/" + pkgName
	// unitDir is where Debian packages put system units (debhelper on
	// bookworm and older; /usr/lib is the same directory on merged-/usr).
	unitDir = "/lib/systemd/system"

	defaultMaintainer = "modx-amocrm maintainers <maintainers@modx-amocrm.invalid>"

	description = `keeps amoCRM in step with a MODX miniShop2 or MiniShop3 shop
modx-amocrm is a daemon that reads a MODX shop's MySQL tables (miniShop2 on
MODX 2, MiniShop3 on MODX 3: orders, order status changes, FormIt forms,
users) and writes deals and contacts to amoCRM (or Kommo) through the API
v4: batched, exactly once, with dry-run diff reports. It replaces the PHP
amoCRM extra.

The package installs the binary and the units modx-amocrm.service and
modx-amocrm@.service (one instance per site) and enables neither: write
/etc/modx-amocrm/config.toml first, from
/usr/share/doc/modx-amocrm/examples/config.example.toml or with
modx-amocrm import-settings.`
)

// daemonReload is both postinst and postrm, and the only maintainer script:
// the units run as a DynamicUser, so there is no user to create.
//
//go:embed daemon-reload.sh
var daemonReload []byte

// lintianOverrides answers lintian's false positives, each with its reason.
//
//go:embed lintian-overrides
var lintianOverrides []byte

// options is one package build.
type options struct {
	binary     string
	build      *debug.BuildInfo // the binary's
	version    string           // git describe form
	srcDir     string
	outDir     string
	maintainer string
	mtime      time.Time
	// goroot and moduleDirs find the licences of what the binary links:
	// Go's, and each module's source directory by path@version.
	goroot     string
	moduleDirs func([]*debug.Module) (map[string]string, error)
}

// build writes the .deb into o.outDir and returns its path. A failed build
// leaves no partial package behind.
func build(o options) (string, error) {
	if o.build.Path != mainPath {
		return "", fmt.Errorf("%s is %s, not the modx-amocrm binary (%s)", o.binary, o.build.Path, mainPath)
	}
	arch, err := nfpmArch(o.build)
	if err != nil {
		return "", fmt.Errorf("%s: %w", o.binary, err)
	}
	version, err := debianVersion(o.version)
	if err != nil {
		return "", err
	}
	stage, err := os.MkdirTemp("", "modx-amocrm-package-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(stage)

	mods := linkedModules(o.build)
	dirs, err := o.moduleDirs(mods)
	if err != nil {
		return "", err
	}
	var copyright bytes.Buffer
	if err := writeCopyright(&copyright, o.srcDir, o.build.GoVersion, o.goroot, mods, dirs); err != nil {
		return "", err
	}
	manPage, err := os.ReadFile(filepath.Join(o.srcDir, "cmd", "modx-amocrm", "modx-amocrm.1"))
	if err != nil {
		return "", err
	}
	generated := map[string][]byte{
		"copyright":         copyright.Bytes(),
		"changelog.gz":      gzipped(changelog(version, o.maintainer, o.mtime)),
		"modx-amocrm.1.gz":  gzipped(manPage),
		"daemon-reload.sh":  daemonReload,
		"lintian-overrides": lintianOverrides,
	}
	for name, data := range generated {
		if err := os.WriteFile(filepath.Join(stage, name), data, 0o644); err != nil {
			return "", err
		}
	}

	info := nfpm.WithDefaults(&nfpm.Info{
		Name:          pkgName,
		Arch:          arch,
		Platform:      "linux",
		Version:       version,
		VersionSchema: "none", // debianVersion made it already
		Section:       "net",
		Priority:      "optional",
		Maintainer:    o.maintainer,
		Homepage:      homepage,
		Description:   description,
		MTime:         o.mtime,
		// Every path is literal: unit templates have an @ in their name.
		DisableGlobbing: true,
		Overridables: nfpm.Overridables{
			Contents: contents(o.srcDir, stage, o.binary),
			Scripts: nfpm.Scripts{
				PostInstall: filepath.Join(stage, "daemon-reload.sh"),
				PostRemove:  filepath.Join(stage, "daemon-reload.sh"),
			},
			Deb: nfpm.Deb{Compression: "xz"},
		},
	})
	if err := os.MkdirAll(o.outDir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(o.outDir, deb.Default.ConventionalFileName(info))
	tmp, err := os.CreateTemp(o.outDir, ".modx-amocrm-*.deb")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := deb.Default.Package(info, tmp); err != nil {
		tmp.Close()
		return "", fmt.Errorf("build package: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}

// contents is every file the package installs, with explicit modes so the
// package does not depend on the checkout's umask. No file lands in
// /etc/modx-amocrm: the config is the admin's, and a package never owning it
// cannot overwrite or remove it.
func contents(src, stage, binary string) files.Contents {
	file := func(from, to string, mode os.FileMode) *files.Content {
		return &files.Content{Source: from, Destination: to, Type: files.TypeFile,
			FileInfo: &files.ContentFileInfo{Mode: mode}}
	}
	return files.Contents{
		file(binary, "/usr/bin/modx-amocrm", 0o755),
		file(filepath.Join(src, "systemd", "modx-amocrm.service"), unitDir+"/modx-amocrm.service", 0o644),
		file(filepath.Join(src, "systemd", "modx-amocrm@.service"), unitDir+"/modx-amocrm@.service", 0o644),
		file(filepath.Join(src, "README.md"), docDir+"/README.md", 0o644),
		file(filepath.Join(stage, "copyright"), docDir+"/copyright", 0o644),
		file(filepath.Join(stage, "changelog.gz"), docDir+"/changelog.gz", 0o644),
		file(filepath.Join(stage, "modx-amocrm.1.gz"), "/usr/share/man/man1/modx-amocrm.1.gz", 0o644),
		file(filepath.Join(src, "config.example.toml"), docDir+"/examples/config.example.toml", 0o644),
		file(filepath.Join(src, "sql", "grants.sql"), docDir+"/examples/grants.sql", 0o644),
		file(filepath.Join(stage, "lintian-overrides"), "/usr/share/lintian/overrides/modx-amocrm", 0o644),
	}
}

// nfpmArch is the binary's architecture as nfpm names it (it maps those to
// Debian's: 386 is i386, arm7 is armhf).
func nfpmArch(bi *debug.BuildInfo) (string, error) {
	s := map[string]string{}
	for _, kv := range bi.Settings {
		s[kv.Key] = kv.Value
	}
	if s["GOOS"] != "linux" {
		return "", fmt.Errorf("built for GOOS=%q, a Debian package needs linux", s["GOOS"])
	}
	switch s["GOARCH"] {
	case "":
		return "", fmt.Errorf("no GOARCH in its build info")
	case "arm":
		return "arm" + s["GOARM"], nil
	default:
		return s["GOARCH"], nil
	}
}

// changelog is the Debian changelog of a native package built from a git
// tree: one entry naming the version; the history is the repository's.
func changelog(version, maintainer string, t time.Time) []byte {
	return fmt.Appendf(nil, "%s (%s) unstable; urgency=medium\n\n  * Built from %s\n    at this version; the changes are in its git history.\n\n -- %s  %s\n",
		pkgName, version, homepage, maintainer, t.Format(time.RFC1123Z))
}

// gzipped is data compressed as Debian wants files in /usr/share/doc: best
// compression, no name, no time stamp (gzip -9n), so builds reproduce.
func gzipped(data []byte) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // the level is valid
	w.Write(data)
	w.Close()
	return b.Bytes()
}
