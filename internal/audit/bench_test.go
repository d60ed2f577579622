package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkAppend is one record under the lock, with its fsync and the
// atomic head update: the cost an audited command pays.
func BenchmarkAppend(b *testing.B) {
	l := Open(filepath.Join(b.TempDir(), DefaultFileName))
	r := sample(1)
	for b.Loop() {
		if _, err := l.Append(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScan verifies a log of 10,000 records.
func BenchmarkScan(b *testing.B) {
	// Built without fsyncs: the benchmark is about reading.
	l := Open(filepath.Join(b.TempDir(), DefaultFileName))
	var buf bytes.Buffer
	prev := zeroHash
	for i := range 10000 {
		r := sample(i)
		r.V, r.Kind, r.Seq, r.Prev = FormatVersion, KindCommand, int64(i+1), prev
		line, hash, err := encodeLine(r)
		if err != nil {
			b.Fatal(err)
		}
		buf.Write(line)
		prev = hash
	}
	if err := os.WriteFile(l.Path(), buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := l.writeHead(head{Seq: 10000, Hash: prev}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := l.Scan(nil)
		if err != nil || !res.Intact() || res.Records != 10000 {
			b.Fatal(res.Problem, err)
		}
	}
}
