package reports

import (
	"io"
	"runtime"
	"testing"
)

// BenchmarkCoverageCSV runs 100,000 generated users through Compute, the
// accumulator and the CSV renderer: the path of a tenant-wide export. It
// reports rows/s; B/op is per 100,000-user run and is allocation churn, not
// retained memory (see TestCoverageMemoryIsBounded).
func BenchmarkCoverageCSV(b *testing.B) {
	benchmarkCoverage(b, FormatCSV)
}

// BenchmarkCoverageJSON is the same run through the JSON renderer.
func BenchmarkCoverageJSON(b *testing.B) {
	benchmarkCoverage(b, FormatJSON)
}

func benchmarkCoverage(b *testing.B, f Format) {
	const users = 100_000
	b.ReportAllocs()
	for b.Loop() {
		if _, err := WriteCoverage(b.Context(), io.Discard, population(1, users), nil, CoverageOptions{Format: f}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(users*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCompute measures the row computation alone.
func BenchmarkCompute(b *testing.B) {
	inputs := collect(population(2, 1000))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		Compute(inputs[i%len(inputs)])
		i++
	}
}

// TestCoverageMemoryIsBounded streams 60,000 users through the accumulator
// and every renderer and checks that the live heap after the last user is no
// larger than after the 6,000th by more than a small, size-independent
// margin: nothing is kept per user.
func TestCoverageMemoryIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 60,000 users per format")
	}
	const users, probe = 60_000, 6_000
	const margin = 1 << 20 // 1 MiB, against 5 KiB a user it would take to keep rows
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			var atProbe uint64
			heap := func() uint64 {
				runtime.GC()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				return m.HeapAlloc
			}
			seq := func(yield func(UserInput, error) bool) {
				i := 0
				for in, err := range population(4, users) {
					if i == probe {
						atProbe = heap()
					}
					i++
					if !yield(in, err) {
						return
					}
				}
			}
			r, err := NewCoverageRenderer(io.Discard, f, RenderOptions{TempDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			acc := NewAccumulator(SummaryOptions{})
			for in := range seq {
				row := Compute(in)
				acc.Add(row, in.Source)
				if err := r.WriteRow(row); err != nil {
					t.Fatal(err)
				}
			}
			atEnd := heap()
			if atEnd > atProbe+margin {
				t.Errorf("heap grew from %d to %d bytes between user %d and user %d", atProbe, atEnd, probe, users)
			}
			if err := r.Finish(acc.Summary()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// BenchmarkGeneratePopulation is the cost of generating the 100,000 users of
// BenchmarkCoverageCSV alone, to subtract from it.
func BenchmarkGeneratePopulation(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, err := range population(1, 100_000) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
