package config

import (
	"bufio"
	"bytes"
	"strings"
)

// RenderTOML writes cfg as a config file Parse reads back, with each note as
// a comment above the key it belongs to; notes for keys that do not appear
// (settings with no key, empty [[orders.category]]) go to the header.
func RenderTOML(cfg Config, notes []Note) []byte {
	body := cfg.marshal()
	byKey := map[string][]string{}
	for _, n := range notes {
		byKey[n.Key] = append(byKey[n.Key], n.Text)
	}
	keys := tomlKeys(body)
	var out bytes.Buffer
	out.WriteString("# modx-amocrm configuration, converted by `modx-amocrm import-settings` from the\n")
	out.WriteString("# old amoCRM extra's system settings. Each old setting is noted above its key.\n")
	out.WriteString("#\n")
	for _, n := range notes {
		if n.Key == "" || !keys[n.Key] {
			writeComment(&out, n.Text)
		}
	}
	out.WriteString("\n")
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		key, header := lineKey(table, line)
		if header {
			table = key
		}
		if texts, ok := byKey[key]; ok && key != "" {
			for _, t := range texts {
				writeComment(&out, t)
			}
			delete(byKey, key) // once, above the first [[array table]]
		}
		out.WriteString(line + "\n")
	}
	return out.Bytes()
}

func writeComment(out *bytes.Buffer, text string) {
	out.WriteString("# " + strings.ReplaceAll(text, "\n", " ") + "\n")
}

// tomlKeys lists the dotted keys and table names that marshal wrote.
func tomlKeys(body []byte) map[string]bool {
	keys := map[string]bool{}
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		key, header := lineKey(table, sc.Text())
		if header {
			table = key
		}
		if key != "" {
			keys[key] = true
		}
	}
	return keys
}

// lineKey returns the dotted key a line of marshal's output defines, and
// whether it is a table header. marshal writes one key per line and no
// multi-line values, which is what makes this line-wise reading enough.
func lineKey(table, line string) (key string, header bool) {
	line = strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(line, "["): // [table] or [[array table]]
		return strings.Trim(line, "[]"), true
	case line == "" || strings.HasPrefix(line, "#"):
		return "", false
	}
	name, _, _ := strings.Cut(line, " = ")
	if table == "" {
		return name, false
	}
	return table + "." + name, false
}
