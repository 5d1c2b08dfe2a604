package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
)

// flagLine is a flag as package flag's usage lists it: "  -name type".
var flagLine = regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)

// TestManPageCoversCommands keeps modx-amocrm.1, which the Debian package
// installs, in step with the commands and their flags.
func TestManPageCoversCommands(t *testing.T) {
	page, err := os.ReadFile("modx-amocrm.1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("a MODX miniShop2 or MiniShop3 shop\n")) {
		t.Error("modx-amocrm.1's NAME does not name both shops: miniShop2 and MiniShop3")
	}
	roff := func(s string) string { return strings.ReplaceAll(s, "-", `\-`) }
	flags := 0
	for name := range commands {
		if !bytes.Contains(page, []byte("\n.B "+roff(name)+"\n")) {
			t.Errorf("modx-amocrm.1 has no entry .B %s under COMMANDS", roff(name))
		}
		var stderr bytes.Buffer
		Main(context.Background(), []string{name, "-h"}, &bytes.Buffer{}, &stderr)
		for _, m := range flagLine.FindAllStringSubmatch(stderr.String(), -1) {
			flags++
			if !bytes.Contains(page, []byte(`\fB\-`+roff(m[1])+`\fR`)) {
				t.Errorf("modx-amocrm.1 does not mention %s -%s (as \\fB\\-%s\\fR)", name, m[1], roff(m[1]))
			}
		}
	}
	if flags == 0 {
		t.Error("no command's -h listed a flag: the test checks nothing")
	}
}
