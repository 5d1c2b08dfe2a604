package transform

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/modx-amocrm/modx-amocrm/internal/shop"
)

// Sent is what a deal last got from its order, kept per linked order so
// that a fresh mapping of the order, once edited in the shop, is compared
// with what was sent, not with what amoCRM holds now: a field a manager
// changed in amoCRM and the shop did not is left alone. Values are kept as
// digests, the price and the product lines as they were (a note names
// them): MarshalBinary takes about 20 bytes, 12 a custom field and 10 a
// product with its name, some 200 bytes for an order of two products and
// the default orders.fields and orders.address_fields.
type Sent struct {
	Num    string           // the order's number, for the note when the order is deleted
	Name   uint64           // digest of the deal's name
	Price  *int64           // nil: no price was sent
	Fields map[int64]uint64 // custom field id -> digest of the values sent (a clear is "null")
	Lines  []SentLine       // one per product, in cart order
}

// SentLine is one product of an order as the deal got it: its cart lines
// summed (the same product in two colours is one catalog element).
type SentLine struct {
	ProductID int64
	Name      string // cut to sentNameRunes, for notes
	Count     int64
	Cost      int64 // kopecks
}

// sentNameRunes bounds a product's name kept for notes.
const sentNameRunes = 64

// SentOf is what a deal written from d, the mapping of o, got.
func SentOf(d *Deal, o *shop.Order) Sent {
	s := Sent{Num: o.Num, Name: digest(d.Lead.Name), Price: d.Lead.Price, Fields: make(map[int64]uint64, len(d.Lead.CustomFieldsValues))}
	for _, cf := range d.Lead.CustomFieldsValues {
		s.Fields[cf.FieldID] = valuesDigest(cf.Values)
	}
	s.Lines = productLines(o.Products)
	return s
}

// productLines sums an order's cart lines by product, in cart order.
func productLines(products []shop.OrderProduct) []SentLine {
	var lines []SentLine
	at := map[int64]int{}
	for _, p := range products {
		i, ok := at[p.ProductID]
		if !ok {
			i = len(lines)
			at[p.ProductID] = i
			lines = append(lines, SentLine{ProductID: p.ProductID, Name: cut(strings.TrimSpace(p.Name), sentNameRunes)})
		}
		lines[i].Count += p.Count
		lines[i].Cost += kopecks(p.Cost)
	}
	return lines
}

// kopecks reads a decimal of money in hundredths, half up past them;
// text that is no number counts 0 (the goods field says what it was).
func kopecks(s string) int64 {
	d, err := parseDecimal(s)
	if err != nil {
		return 0
	}
	frac := (d.fraction + "000")[:3]
	whole, err := strconv.ParseInt(d.whole, 10, 64)
	if err != nil {
		return 0
	}
	n := whole*100 + int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	if frac[2] >= '5' {
		n++
	}
	if d.neg {
		n = -n
	}
	return n
}

func digest(s string) uint64 {
	sum := sha256.Sum256([]byte(s))
	return binary.BigEndian.Uint64(sum[:8])
}

// valuesDigest digests a field's values as they go on the wire.
func valuesDigest(v any) uint64 {
	b, err := json.Marshal(v)
	if err != nil { // values are strings, numbers and bools: never
		panic(fmt.Sprintf("transform: encode field values: %v", err))
	}
	return digest(string(b))
}

// ErrSentFormat means a stored Sent could not be read back: written by an
// unknown version, or damaged. The order is then treated as never compared.
var ErrSentFormat = errors.New("unreadable record of what a deal got")

const sentVersion = 1

// MarshalBinary encodes s compactly: varints, 8-byte digests, fields by id.
func (s Sent) MarshalBinary() ([]byte, error) {
	b := []byte{sentVersion}
	b = appendString(b, s.Num)
	b = binary.BigEndian.AppendUint64(b, s.Name)
	if s.Price == nil {
		b = append(b, 0)
	} else {
		b = binary.AppendVarint(append(b, 1), *s.Price)
	}
	b = binary.AppendUvarint(b, uint64(len(s.Fields)))
	for _, id := range slices.Sorted(maps.Keys(s.Fields)) {
		b = binary.AppendVarint(b, id)
		b = binary.BigEndian.AppendUint64(b, s.Fields[id])
	}
	b = binary.AppendUvarint(b, uint64(len(s.Lines)))
	for _, l := range s.Lines {
		b = binary.AppendVarint(b, l.ProductID)
		b = binary.AppendVarint(b, l.Count)
		b = binary.AppendVarint(b, l.Cost)
		b = appendString(b, l.Name)
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// UnmarshalBinary decodes what MarshalBinary wrote; anything else is
// ErrSentFormat.
func (s *Sent) UnmarshalBinary(data []byte) error {
	r := sentReader{b: data}
	if v := r.byte(); v != sentVersion {
		return fmt.Errorf("%w: version %d", ErrSentFormat, v)
	}
	out := Sent{Num: r.string(), Name: r.uint64()}
	if r.byte() == 1 {
		p := r.varint()
		out.Price = &p
	}
	n := r.count()
	out.Fields = make(map[int64]uint64, n)
	for range n {
		id := r.varint()
		out.Fields[id] = r.uint64()
	}
	for range r.count() {
		out.Lines = append(out.Lines, SentLine{ProductID: r.varint(), Count: r.varint(), Cost: r.varint(), Name: r.string()})
	}
	if r.err != nil || len(r.b) != 0 {
		return fmt.Errorf("%w: %d bytes, cut or padded", ErrSentFormat, len(data))
	}
	*s = out
	return nil
}

// sentReader reads MarshalBinary's encoding; the first short read sets err
// and makes every later read return zero.
type sentReader struct {
	b   []byte
	err error
}

func (r *sentReader) fail() { r.err, r.b = ErrSentFormat, nil }

func (r *sentReader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *sentReader) uint64() uint64 {
	if len(r.b) < 8 {
		r.fail()
		return 0
	}
	v := binary.BigEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *sentReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length, refusing one the remaining bytes cannot hold.
func (r *sentReader) count() int {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *sentReader) string() string {
	n := r.count()
	if n > len(r.b) {
		r.fail()
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}
