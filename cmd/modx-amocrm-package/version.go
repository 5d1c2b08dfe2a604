package main

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	// describeSuffix is what `git describe` appends past the tag: commits
	// since it and the abbreviated commit id.
	describeSuffix = regexp.MustCompile(`-([0-9]+)-g([0-9a-f]{4,40})$`)
	// semverTag is a release tag without its "v": 1.2.0 or 1.2.0-rc.1. Its
	// characters are all valid in a Debian version (deb-version(7)) once the
	// pre-release's "-" become ".".
	semverTag = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)
)

// debianVersion turns `git describe --tags --dirty` output into a Debian
// version that sorts the same way: a pre-release before its release (~), and
// commits past a tag after it (+), counted so later builds sort later:
//
//	v1.2.0                    1.2.0
//	v1.2.0-rc.1               1.2.0~rc.1
//	v1.2.0-3-gabc1234         1.2.0+3.gabc1234
//	v1.2.0-3-gabc1234-dirty   1.2.0+3.gabc1234.dirty
//
// It has no Debian revision: the package is native, built from this tree.
func debianVersion(describe string) (string, error) {
	rest, dirty := strings.CutSuffix(strings.TrimPrefix(describe, "v"), "-dirty")
	var past []string
	if m := describeSuffix.FindStringSubmatch(rest); m != nil {
		past = append(past, m[1], "g"+m[2])
		rest = rest[:len(rest)-len(m[0])]
	}
	if dirty {
		past = append(past, "dirty")
	}
	if !semverTag.MatchString(rest) {
		return "", fmt.Errorf("version %q: want a tag like v1.2.0 as git describe prints it", describe)
	}
	v := rest
	if core, pre, ok := strings.Cut(rest, "-"); ok {
		v = core + "~" + strings.ReplaceAll(pre, "-", ".")
	}
	if len(past) > 0 {
		v += "+" + strings.Join(past, ".")
	}
	return v, nil
}
