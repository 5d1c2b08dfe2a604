package report

import (
	"flag"
	"io"
	"os"
	"runtime"
	"testing"
)

var sampleOut = flag.String("sample-out", "", "write the sample HTML report to this file (used by testdata/check-html.sh)")

// writers makes one writer of each format writing to w.
var writers = []struct {
	name string
	new  func(io.Writer) Writer
}{
	{"text", func(w io.Writer) Writer { return NewText(w, TextOptions{Color: true}) }},
	{"json", NewJSON},
	{"html", func(w io.Writer) Writer { return NewHTML(w, HTMLOptions{}) }},
}

// heapInUse returns the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestWritersKeepMemoryFlat checks that the live heap does not grow with
// the entries written: the 25,000 entries after the first 5,000 would hold
// some 10 MB if a writer kept them. BenchmarkWriters reports the same for
// 100,000 entries.
func TestWritersKeepMemoryFlat(t *testing.T) {
	const entries, warmup, limit = 30_000, 5_000, 2 << 20
	for _, tt := range writers {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.new(io.Discard)
			grown, err := writeGenerated(w, entries, warmup)
			if err != nil {
				t.Fatal(err)
			}
			if grown > limit {
				t.Errorf("live heap grew by %d bytes over %d entries, want at most %d", grown, entries-warmup, limit)
			}
			if err := w.Close(sampleSummary()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// writeGenerated writes n generated entries to w and returns how much the
// live heap grew between entry warmup and the end.
func writeGenerated(w Writer, n, warmup int) (grown int64, err error) {
	var base uint64
	for i := range n {
		if i == warmup {
			base = heapInUse()
		}
		if err := w.Write(generatedEntry(i)); err != nil {
			return 0, err
		}
	}
	return int64(heapInUse()) - int64(base), nil
}

// BenchmarkWriters puts 100,000 entries through each writer per iteration
// and reports, besides time and allocations, how much the live heap grew
// over the last 90,000 (the two collections that measures are timed too,
// a small share of a 100,000-entry iteration).
func BenchmarkWriters(b *testing.B) {
	const entries, warmup = 100_000, 10_000
	for _, tt := range writers {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			var grown int64
			for b.Loop() {
				w := tt.new(io.Discard)
				g, err := writeGenerated(w, entries, warmup)
				if err != nil {
					b.Fatal(err)
				}
				grown = max(grown, g)
				if err := w.Close(sampleSummary()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*entries), "ns/entry")
			b.ReportMetric(float64(grown), "heap-growth-B")
		})
	}
}

// TestWriteSampleHTML writes a realistic HTML report for a look in a
// browser: the golden entries plus 300 generated ones.
func TestWriteSampleHTML(t *testing.T) {
	if *sampleOut == "" {
		t.Skip("no -sample-out")
	}
	f, err := os.Create(*sampleOut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := NewHTML(f, HTMLOptions{Title: "modx-amocrm: dry run of shop.example"})
	for _, e := range sampleEntries() {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		if err := w.Write(generatedEntry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(sampleSummary()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
