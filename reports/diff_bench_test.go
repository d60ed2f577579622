package reports

import (
	"iter"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkDiffScale compares two generated JSON reports of DIFF_USERS users
// (default 100,000; DIFF_USERS=1000000 for a million) written to files:
// the new report drops every tenth user of the old one, adds 5 % new users
// and differs in the rest as two generated tenants do. It reports users/s
// and the peak of the live heap during the diff (peak-heap-MB), which must
// not grow with the reports:
//
//	DIFF_USERS=1000000 go test ./reports/ -run '^$' -bench DiffScale -benchtime 1x
func BenchmarkDiffScale(b *testing.B) {
	users := 100_000
	if v := os.Getenv("DIFF_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 {
			b.Fatalf("DIFF_USERS=%q: want a number of users (10 or more)", v)
		}
		users = n
	}
	dir := b.TempDir()
	write := func(name string, seq iter.Seq2[UserInput, error]) string {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if _, err := WriteCoverage(b.Context(), f, seq, nil, CoverageOptions{Format: FormatJSON}); err != nil {
			b.Fatal(err)
		}
		return path
	}
	oldPath := write("old.json", population(5, users))
	newPath := write("new.json", func(yield func(UserInput, error) bool) {
		next, stop := iter.Pull2(population(5, users))
		defer stop()
		for i, in := range enumerate(population(6, users+users/20)) {
			old, _, ok := next()
			if i%10 == 3 {
				continue // removed
			}
			if ok {
				in.User.ID = old.User.ID
			}
			if !yield(in, nil) {
				return
			}
		}
	})
	b.ResetTimer()
	for b.Loop() {
		oldF, err := os.Open(oldPath)
		if err != nil {
			b.Fatal(err)
		}
		newF, err := os.Open(newPath)
		if err != nil {
			b.Fatal(err)
		}
		peak := watchHeap()
		s, err := DiffIn(dir, oldF, newF, func(UserChange) error { return nil })
		b.ReportMetric(peak()/1e6, "peak-heap-MB")
		oldF.Close()
		newF.Close()
		if err != nil {
			b.Fatal(err)
		}
		if s.Old.Users != users {
			b.Fatalf("old report: %d users, want %d", s.Old.Users, users)
		}
	}
	b.ReportMetric(float64(2*users*b.N)/b.Elapsed().Seconds(), "users/s")
}

// enumerate numbers a generator's users, dropping its (nil) errors.
func enumerate(seq iter.Seq2[UserInput, error]) iter.Seq2[int, UserInput] {
	return func(yield func(int, UserInput) bool) {
		i := 0
		for in := range seq {
			if !yield(i, in) {
				return
			}
			i++
		}
	}
}

// watchHeap samples the live heap every 5 ms until the returned function is
// called, which gives the highest sample in bytes.
func watchHeap() func() float64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		wg.Wait()
		return float64(peak)
	}
}
