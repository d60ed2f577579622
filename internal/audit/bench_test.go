package audit

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// BenchmarkAppend is one record under the lock, with its fsync and the
// atomic head update: the cost an audited command pays, in an empty log
// and in one of 100,000 records (the checkpoint keeps the two close).
func BenchmarkAppend(b *testing.B) {
	for _, n := range []int{0, 100000} {
		b.Run(itoa(n)+"records", func(b *testing.B) {
			l := prebuilt(b, n)
			r := sample(1)
			for b.Loop() {
				if _, err := l.Append(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendAfterTouch is an append to a log of 100,000 records that
// something other than mfactl touched since its last append (here: its
// modes were set again, which moves its change stamp), so the whole chain
// is verified first: the cost of the periodic and the tamper-triggered
// full verification.
func BenchmarkAppendAfterTouch(b *testing.B) {
	l := prebuilt(b, 100000)
	r := sample(1)
	for b.Loop() {
		b.StopTimer()
		// The ctime has a coarse clock; make sure it moves.
		time.Sleep(5 * time.Millisecond)
		if err := os.Chmod(l.Path(), 0o600); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := l.Append(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScan verifies a log of 10,000 records.
func BenchmarkScan(b *testing.B) {
	l := prebuilt(b, 10000)
	for b.Loop() {
		res, err := l.Scan(nil)
		if err != nil || !res.Intact() || res.Records != 10000 {
			b.Fatal(res.Problem, err)
		}
	}
}

// prebuilt writes a log of n records without fsyncs (the benchmarks are
// about what follows) and its head, as Append would leave it.
func prebuilt(b *testing.B, n int) *Log {
	b.Helper()
	l := Open(filepath.Join(b.TempDir(), DefaultFileName))
	if n == 0 {
		return l
	}
	f, err := os.OpenFile(l.Path(), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	prev := zeroHash
	for i := range n {
		r := sample(i)
		r.V, r.Kind, r.Seq, r.Prev = FormatVersion, KindCommand, int64(i+1), prev
		line, hash, err := encodeLine(r)
		if err != nil {
			b.Fatal(err)
		}
		w.Write(line)
		prev = hash
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := l.writeHead(f, head{Seq: int64(n), Hash: prev}); err != nil {
		b.Fatal(err)
	}
	return l
}

func itoa(n int) string { return strconv.Itoa(n) }
