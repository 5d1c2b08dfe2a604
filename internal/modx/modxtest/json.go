package modxtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf16"
)

// PHPJSON encodes v the way PHP's json_encode does with its default flags,
// which is how miniShop2, MODX and FormIt store JSON: every non-ASCII
// character as \uXXXX (UTF-16, so an emoji is a surrogate pair) and "/" as
// "\/", while <, > and & stay as they are. Keys come sorted, as
// encoding/json sorts them.
func PHPJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("modxtest: PHPJSON: %v", err))
	}
	return phpEscape(strings.TrimSuffix(b.String(), "\n"))
}

// phpEscape rewrites a JSON text with PHP's escapes (see PHPJSON).
func phpEscape(doc string) string {
	var out strings.Builder
	for _, r := range doc {
		switch {
		case r == '/':
			out.WriteString(`\/`) // a "/" is never part of an escape
		case r < 0x80:
			out.WriteRune(r)
		default:
			for _, u := range utf16.Encode([]rune{r}) {
				fmt.Fprintf(&out, `\u%04x`, u)
			}
		}
	}
	return out.String()
}
