package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// document is what Parse learns from the TOML syntax tree before decoding:
// the line of every key, and every value with its kind, so that type errors
// can name the key and line even where go-toml's own errors carry neither
// (TextUnmarshaler failures on non-string values).
type document struct {
	lines  map[string]int // dotted key (array tables 1-based) -> line
	values []value
}

type value struct {
	key   string   // dotted key as shown to the user
	path  []string // the same without array-table indexes, to find the Go type
	line  int
	kind  unstable.Kind
	elems []unstable.Kind // element kinds of an array
	raw   string          // the value as written, for "got ..."
}

func indexDocument(data []byte, name string) (*document, error) {
	var p unstable.Parser
	p.Reset(data)
	d := &document{lines: map[string]int{}}
	var table, tablePath []string
	arrays := map[string]int{} // [[header]] -> how many seen
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			tablePath = keyParts(e)
			table = append([]string(nil), tablePath...)
			if e.Kind == unstable.ArrayTable {
				h := joinKey(tablePath...)
				arrays[h]++
				table[len(table)-1] += "[" + strconv.Itoa(arrays[h]) + "]"
			}
			d.lines[joinIndexed(table)] = p.Shape(e.Child().Raw).Start.Line
		case unstable.KeyValue:
			d.addKeyValue(&p, e, table, tablePath)
		}
	}
	if err := p.Error(); err != nil {
		var perr *unstable.ParserError
		if errors.As(err, &perr) && len(perr.Highlight) > 0 {
			line := p.Shape(p.Range(perr.Highlight)).Start.Line
			return nil, &FieldError{File: name, Line: line, Msg: perr.Message}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

func (d *document) addKeyValue(p *unstable.Parser, kv *unstable.Node, table, tablePath []string) {
	parts := keyParts(kv)
	key := append(append([]string(nil), table...), parts...)
	path := append(append([]string(nil), tablePath...), parts...)
	line := p.Shape(kv.Raw).Start.Line
	d.lines[joinIndexed(key)] = line
	v := kv.Value()
	if v.Kind == unstable.InlineTable {
		it := v.Children()
		for it.Next() {
			d.addKeyValue(p, it.Node(), key, path)
		}
		return
	}
	val := value{key: joinIndexed(key), path: path, line: line, kind: v.Kind, raw: rawValue(p, kv)}
	if v.Kind == unstable.Array {
		it := v.Children()
		for it.Next() {
			val.elems = append(val.elems, it.Node().Kind)
		}
	}
	d.values = append(d.values, val)
}

func keyParts(n *unstable.Node) []string {
	var parts []string
	it := n.Key()
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// rawValue is the text after "key =", squeezed to one short line.
func rawValue(p *unstable.Parser, kv *unstable.Node) string {
	var last *unstable.Node
	it := kv.Key()
	for it.Next() {
		last = it.Node()
	}
	end := kv.Raw.Offset + kv.Raw.Length
	s := string(p.Data()[last.Raw.Offset+last.Raw.Length : end])
	s = strings.Join(strings.Fields(strings.TrimPrefix(strings.TrimSpace(s), "=")), " ")
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return s
}

var bareKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// joinKey joins key parts the way TOML writes a dotted key.
func joinKey(parts ...string) string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		quoted[i] = p
		if !bareKey.MatchString(p) {
			quoted[i] = string(quoteTOML(p))
		}
	}
	return strings.Join(quoted, ".")
}

// joinIndexed is joinKey for parts that may end in an array index ("category[2]").
func joinIndexed(parts []string) string {
	quoted := make([]string, len(parts))
	for i, p := range parts {
		name, index, ok := strings.Cut(p, "[")
		quoted[i] = joinKey(name)
		if ok {
			quoted[i] += "[" + index
		}
	}
	return strings.Join(quoted, ".")
}

var (
	configType   = reflect.TypeFor[Config]()
	durationType = reflect.TypeFor[Duration]()
	idRefType    = reflect.TypeFor[IDRef]()
)

// typeCheck compares every value's TOML kind with the Go type of its key.
// Keys the schema lacks are left to the strict decoder.
func (d *document) typeCheck(name string) []error {
	var errs []error
	for _, v := range d.values {
		t, ok := resolveType(configType, v.path)
		if !ok {
			continue
		}
		if want := v.mismatch(t); want != "" {
			errs = append(errs, &FieldError{File: name, Line: v.line, Key: v.key, Msg: "want " + want + ", got " + v.raw})
		}
	}
	return errs
}

// mismatch describes what t wants when v cannot be decoded into it, or
// returns "" when it can.
func (v value) mismatch(t reflect.Type) string {
	switch {
	case t == durationType:
		if v.kind == unstable.String {
			if _, err := time.ParseDuration(strings.Trim(v.raw, `"'`)); err == nil {
				return ""
			}
		}
		return `a duration like "10s"`
	case t == idRefType:
		if v.kind == unstable.Integer || v.kind == unstable.String {
			return ""
		}
		return `an id or a name like "Оплачен"`
	}
	switch t.Kind() {
	case reflect.String:
		return wantKind(v.kind, "a string", unstable.String)
	case reflect.Bool:
		return wantKind(v.kind, "true or false", unstable.Bool)
	case reflect.Int, reflect.Int64:
		return wantKind(v.kind, "an integer", unstable.Integer)
	case reflect.Float64:
		return wantKind(v.kind, "a number", unstable.Integer, unstable.Float)
	case reflect.Slice:
		if t.Elem().Kind() != reflect.String {
			return ""
		}
		if v.kind == unstable.Array && allKind(v.elems, unstable.String) {
			return ""
		}
		return `a list of strings like ["a", "b"]`
	case reflect.Map, reflect.Struct:
		return "a table"
	}
	return ""
}

func wantKind(got unstable.Kind, want string, ok ...unstable.Kind) string {
	for _, k := range ok {
		if got == k {
			return ""
		}
	}
	return want
}

func allKind(kinds []unstable.Kind, k unstable.Kind) bool {
	for _, e := range kinds {
		if e != k {
			return false
		}
	}
	return true
}

// resolveType follows a key path through the Config type: struct fields by
// their toml tag, map values, and array-table elements.
func resolveType(t reflect.Type, path []string) (reflect.Type, bool) {
	for _, part := range path {
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct {
			t = t.Elem()
		}
		switch {
		case t.Kind() == reflect.Map:
			t = t.Elem()
		case t.Kind() == reflect.Struct && t != durationType && t != idRefType:
			f, ok := fieldByTag(t, part)
			if !ok {
				return nil, false
			}
			t = f.Type
		default:
			return nil, false
		}
	}
	return t, true
}

func fieldByTag(t reflect.Type, tag string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("toml"), ","); name == tag && f.IsExported() {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// decodeError turns go-toml's errors into FieldErrors with the indexed key.
func (d *document) decodeError(name string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		errs := make([]error, len(strict.Errors))
		for i := range strict.Errors {
			e := &strict.Errors[i]
			line, _ := e.Position()
			key := d.keyAt(line, e.Key())
			errs[i] = &FieldError{File: name, Line: line, Key: key, Msg: msgUnknownKey, Suggest: suggestKey(e.Key(), key)}
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		return &FieldError{File: name, Line: line, Key: d.keyAt(line, de.Key()), Msg: strings.TrimPrefix(de.Error(), "toml: ")}
	}
	return fmt.Errorf("%s: %w", name, err)
}

// keyAt finds the indexed form of key among the keys on line; go-toml's keys
// do not say which [[array table]] they are in.
func (d *document) keyAt(line int, key toml.Key) string {
	plain := joinKey(key...)
	for k, l := range d.lines {
		if l == line && stripIndexes(k) == plain {
			return k
		}
	}
	return plain
}

var arrayIndex = regexp.MustCompile(`\[[0-9]+\]`)

func stripIndexes(key string) string { return arrayIndex.ReplaceAllString(key, "") }
