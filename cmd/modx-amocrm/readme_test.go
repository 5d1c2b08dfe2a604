package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// readmePath is the repository's README, which GitHub renders.
const readmePath = "../../README.md"

// codeBlock is a fenced block of the README: its info string and lines.
type codeBlock struct {
	line  int // of the opening fence, 1-based
	info  string
	lines []string
}

var fence = regexp.MustCompile("^( {0,3}|\\s*)(`{3,})(.*)$")

// parseFences splits a Markdown text into its fenced blocks, CommonMark's
// way: a block ends only at a fence of at least as many backticks with
// nothing after it, so "``` text" inside a block is text, and the block
// runs on (the README once rendered 180 lines as one block that way).
func parseFences(text string) (blocks []codeBlock, problems []string) {
	var open *codeBlock
	var openTicks int
	for i, line := range strings.Split(text, "\n") {
		m := fence.FindStringSubmatch(line)
		switch {
		case open == nil && m != nil:
			open, openTicks = &codeBlock{line: i + 1, info: strings.TrimSpace(m[3])}, len(m[2])
		case open != nil && m != nil && len(m[2]) >= openTicks && strings.TrimSpace(m[3]) == "":
			blocks = append(blocks, *open)
			open = nil
		case open != nil && m != nil:
			problems = append(problems, fmt.Sprintf("line %d: %q inside the block opened at line %d does not close it "+
				"(text after a closing fence makes it a line of the block)", i+1, line, open.line))
			open.lines = append(open.lines, line)
		case open != nil:
			open.lines = append(open.lines, line)
		}
	}
	if open != nil {
		problems = append(problems, fmt.Sprintf("the block opened at line %d never closes", open.line))
	}
	return blocks, problems
}

func TestParseFences(t *testing.T) {
	good := "a\n```sh\nx\n```\n  ```\n  y\n  ```\n"
	if blocks, problems := parseFences(good); len(problems) > 0 || len(blocks) != 2 || blocks[0].info != "sh" {
		t.Errorf("balanced fences: %d blocks, problems %q", len(blocks), problems)
	}
	bad := "```sh\nx\n``` The tests need a server\n## How it works\n"
	if _, problems := parseFences(bad); len(problems) != 2 {
		t.Errorf("a closing fence with text after it: problems %q, want the line and the unclosed block", problems)
	}
}

// TestReadmeRenders checks the README as GitHub renders it: every fence
// closes, every contents link reaches a heading, every table row has its
// header's cells, and every sh block's first command exists.
func TestReadmeRenders(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	blocks, problems := parseFences(text)
	for _, p := range problems {
		t.Errorf("README.md %s", p)
	}
	prose := outsideBlocks(text)
	for _, p := range brokenLinks(prose) {
		t.Errorf("README.md: %s", p)
	}
	for _, p := range raggedTables(prose) {
		t.Errorf("README.md: %s", p)
	}
	shells := 0
	for _, b := range blocks {
		if b.info != "sh" {
			continue
		}
		shells++
		if err := firstCommandExists(b); err != nil {
			t.Errorf("README.md line %d: %v", b.line, err)
		}
	}
	if shells == 0 {
		t.Error("README.md has no sh block: the test checks nothing")
	}
}

// outsideBlocks blanks the lines of fenced blocks, keeping line numbers.
func outsideBlocks(text string) []string {
	lines := strings.Split(text, "\n")
	inside := false
	for i, line := range lines {
		if fence.MatchString(line) {
			inside = !inside
			lines[i] = ""
			continue
		}
		if inside {
			lines[i] = ""
		}
	}
	return lines
}

var (
	heading  = regexp.MustCompile(`^#{1,6} (.+)$`)
	fragment = regexp.MustCompile(`\]\(#([^)]+)\)`)
)

// anchor is GitHub's id of a heading: lower case, punctuation dropped,
// spaces made hyphens.
func anchor(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(title) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func brokenLinks(lines []string) []string {
	anchors := map[string]bool{}
	for _, line := range lines {
		if m := heading.FindStringSubmatch(line); m != nil {
			anchors[anchor(m[1])] = true
		}
	}
	var problems []string
	for i, line := range lines {
		for _, m := range fragment.FindAllStringSubmatch(line, -1) {
			if !anchors[m[1]] {
				problems = append(problems, fmt.Sprintf("line %d: link to #%s, which no heading has", i+1, m[1]))
			}
		}
	}
	return problems
}

// cells counts a table row's cells: its unescaped pipes outside code spans.
func cells(row string) int {
	n, code := 0, false
	for i, r := range row {
		switch {
		case r == '`':
			code = !code
		case r == '|' && !code && (i == 0 || row[i-1] != '\\'):
			n++
		}
	}
	return n - 1
}

func raggedTables(lines []string) []string {
	var problems []string
	header := 0
	for i, line := range lines {
		switch {
		case !strings.HasPrefix(line, "|"):
			header = 0
		case header == 0:
			header = cells(line)
		case cells(line) != header:
			problems = append(problems, fmt.Sprintf("line %d: a table row of %d cells under a header of %d", i+1, cells(line), header))
		}
	}
	return problems
}

// firstCommandExists checks the first command of a sh block: a command of
// this binary, a Go package or script of this repository, or a program on
// PATH.
func firstCommandExists(b codeBlock) error {
	var words []string
	for _, line := range b.lines {
		line = strings.TrimPrefix(strings.TrimSpace(line), "$ ")
		if line != "" && !strings.HasPrefix(line, "#") {
			words = strings.Fields(line)
			break
		}
	}
	if len(words) == 0 {
		return fmt.Errorf("a sh block with no command")
	}
	root := filepath.Dir(readmePath)
	switch words[0] {
	case "modx-amocrm":
		if len(words) < 2 {
			return fmt.Errorf("%q names no command", strings.Join(words, " "))
		}
		if _, ok := commands[words[1]]; !ok {
			return fmt.Errorf("modx-amocrm has no command %q", words[1])
		}
		return nil
	case "bash":
		if len(words) < 2 {
			return fmt.Errorf("bash with no script")
		}
		_, err := os.Stat(filepath.Join(root, words[1]))
		return err
	case "go":
		for _, w := range words[1:] {
			if strings.Contains(w, "@") {
				return fmt.Errorf("%q: the module is not published, so nothing can be installed by version", strings.Join(words, " "))
			}
			if strings.HasPrefix(w, "./") {
				if _, err := os.Stat(filepath.Join(root, w)); err != nil {
					return fmt.Errorf("%q: %w", strings.Join(words, " "), err)
				}
			}
		}
		return nil
	}
	_, err := exec.LookPath(words[0])
	return err
}
