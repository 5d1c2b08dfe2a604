package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
)

// licenceFile names the files a module's licence terms are in; a NOTICE
// travels with an Apache-licensed module, PATENTS with Go's own.
var licenceFile = regexp.MustCompile(`(?i)^(licen[cs]e|copying|notice|patents)([.-].*)?$`)

// linkedModules is every module linked into the binary, as its build info
// lists them, replacements resolved.
func linkedModules(bi *debug.BuildInfo) []*debug.Module {
	mods := make([]*debug.Module, 0, len(bi.Deps))
	for _, m := range bi.Deps {
		if m.Replace != nil {
			m = m.Replace
		}
		mods = append(mods, m)
	}
	return mods
}

// writeCopyright writes /usr/share/doc/modx-amocrm/copyright: the project's
// notice and licence (from the LICENSE file at the top of srcDir), then the
// terms of everything statically linked into the binary, which a binary
// distribution must carry: Go's runtime and standard library (from goroot)
// and each module (from dirs, by path@version).
func writeCopyright(w io.Writer, srcDir, goVersion, goroot string, mods []*debug.Module, dirs map[string]string) error {
	licence, err := os.ReadFile(filepath.Join(srcDir, "LICENSE"))
	if err != nil {
		return fmt.Errorf("licence of modx-amocrm: %w", err)
	}
	fmt.Fprintf(w, `modx-amocrm
Source: %s

%s

The binary /usr/bin/modx-amocrm is statically linked with the Go runtime
and standard library and with the Go modules listed below; the terms each
is distributed under follow its name.
`, homepage, commonLicence(bytes.TrimSpace(licence)))
	if err := writeTerms(w, "Go "+goVersion, goroot); err != nil {
		return err
	}
	for _, m := range mods {
		id := m.Path + "@" + m.Version
		dir, ok := dirs[id]
		if !ok {
			return fmt.Errorf("licence of %s: no source directory for it", id)
		}
		if err := writeTerms(w, m.Path+" "+m.Version, dir); err != nil {
			return err
		}
	}
	return nil
}

// writeTerms appends the licence files at the top of dir under a heading.
func writeTerms(w io.Writer, heading, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("licence of %s: %w", heading, err)
	}
	var names []string
	licensed := false
	for _, e := range entries {
		if e.Type().IsRegular() && licenceFile.MatchString(e.Name()) {
			names = append(names, e.Name())
			n := strings.ToLower(e.Name())
			licensed = licensed || !strings.HasPrefix(n, "notice") && !strings.HasPrefix(n, "patents")
		}
	}
	if !licensed {
		return fmt.Errorf("licence of %s: no LICENSE or COPYING file in %s", heading, dir)
	}
	slices.Sort(names)
	fmt.Fprintf(w, "\n%s\n%s\n", heading, strings.Repeat("=", len(heading)))
	for _, name := range names {
		text, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("licence of %s: %w", heading, err)
		}
		fmt.Fprintf(w, "\n%s:\n\n%s\n", name, commonLicence(bytes.TrimSpace(text)))
	}
	return nil
}

// apache2 recognises the full text of the Apache License 2.0, as lintian does.
var apache2 = []string{"Apache License", "Version 2.0, January 2004", "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION"}

// filledCopyright is a copyright line a licence text may carry, other
// than the Apache appendix's template "Copyright [yyyy] [name ...]".
var filledCopyright = regexp.MustCompile(`(?m)^[ \t]*Copyright [^\[\n]*$`)

// commonLicence replaces the full Apache License 2.0, which Debian ships
// once in /usr/share/common-licenses, by a pointer to it (Debian Policy
// 12.5), keeping any copyright line filled into it.
func commonLicence(text []byte) []byte {
	for _, s := range apache2 {
		if !bytes.Contains(text, []byte(s)) {
			return text
		}
	}
	short := []byte("Apache License 2.0; on Debian systems its text is in\n/usr/share/common-licenses/Apache-2.0.")
	for _, line := range filledCopyright.FindAll(text, -1) {
		short = append(append(short, '\n'), bytes.TrimSpace(line)...)
	}
	return short
}

// downloadModules finds the modules' source in the module cache, fetching
// any that are missing, with one `go mod download` run in the source tree.
func downloadModules(srcDir string, mods []*debug.Module) (map[string]string, error) {
	args := []string{"mod", "download", "-json"}
	for _, m := range mods {
		args = append(args, m.Path+"@"+m.Version)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = srcDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	dirs := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var m struct{ Path, Version, Dir, Error string }
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return dirs, nil
		} else if err != nil {
			return nil, fmt.Errorf("go mod download: %w", err)
		}
		if m.Error != "" {
			return nil, fmt.Errorf("go mod download %s@%s: %s", m.Path, m.Version, m.Error)
		}
		dirs[m.Path+"@"+m.Version] = m.Dir
	}
}

// goEnv is one of the go command's settings.
func goEnv(key string) (string, error) {
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %w", key, err)
	}
	return strings.TrimSpace(string(out)), nil
}
