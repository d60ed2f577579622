package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkCoverageFronts measures issue 16's goals: `report coverage`
// (auto: two fronts) on a seeded tenant against `mock serve --throttle
// graph --latency 20ms`, held against the bound Graph's two budgets allow
// for the tenant (the run's own --stats computes it), with the share of
// requests answered 429 and the peak memory; then --source methods against
// an unthrottled server of the same state, whose rows must be identical.
// The machine's load average is logged beside every number. Run both
// goals, or one, with
//
//	go test ./cmd/mfactl/ -run '^$' -bench CoverageFronts -benchtime 1x -timeout 60m -v
//	go test ./cmd/mfactl/ -run '^$' -bench 'CoverageFronts/10k' -benchtime 1x -timeout 60m -v
//
// MFACTL_BENCH_FRONTS_USERS sets the tenant sizes (default "10000,100000").
func BenchmarkCoverageFronts(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if v := os.Getenv("MFACTL_BENCH_FRONTS_USERS"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 4 {
				b.Fatalf("MFACTL_BENCH_FRONTS_USERS=%q: %q is not a user count", v, f)
			}
			sizes = append(sizes, n)
		}
	}
	for _, users := range sizes {
		b.Run(fmt.Sprintf("%dk", users/1000), func(b *testing.B) {
			dir := b.TempDir()
			state := seedState(b, dir, users)
			srv := startCoverageServe(b, dir, state, "--throttle", "graph", "--latency", "20ms")
			load := loadAverage()
			run := runCoverage(b, dir, srv.url, "auto")
			srv.stop()
			if run.rows != users {
				b.Fatalf("auto: %d rows, want %d", run.rows, users)
			}
			if run.bound <= 0 {
				b.Fatalf("auto --stats printed no bound:\n%s", run.stats)
			}
			ratio := run.elapsed.Seconds() / run.bound.Seconds()
			pct := 100 * float64(run.throttled) / float64(max(run.requests, 1))
			b.Logf("%d users, --throttle graph --latency 20ms (load %s): %.1fs, bound %.1fs, ratio %.2f, %d of %d requests throttled (%.2f%%), peak RSS %.1f MB; %s",
				users, load, run.elapsed.Seconds(), run.bound.Seconds(), ratio, run.throttled, run.requests, pct, run.peakMB, run.met)
			b.ReportMetric(run.elapsed.Seconds(), "s")
			b.ReportMetric(run.bound.Seconds(), "bound-s")
			b.ReportMetric(ratio, "x-bound")
			b.ReportMetric(pct, "429-pct")
			b.ReportMetric(run.peakMB, "peakMB")

			plain := startCoverageServe(b, dir, state, "--latency", "20ms")
			defer plain.stop()
			meth := runCoverage(b, dir, plain.url, "methods")
			if a, m := sortedLines(b, filepath.Join(dir, "coverage-auto.csv")), sortedLines(b, meth.out); !slices.Equal(a, m) {
				b.Fatalf("the two fronts' rows differ from --source methods")
			}
			b.Logf("rows identical to --source methods (%d users)", meth.rows)
		})
	}
}

var boundLine = regexp.MustCompile(`stats: bound ([0-9.hms]+) `)
var metLine = regexp.MustCompile(`stats: (the fronts met at [^\n]*)`)

// parseFronts reads the bound and the meeting point --stats printed.
func parseFronts(r *coverageRun, stderr string) {
	if m := boundLine.FindStringSubmatch(stderr); m != nil {
		r.bound, _ = time.ParseDuration(m[1])
	}
	if m := metLine.FindStringSubmatch(stderr); m != nil {
		r.met = m[1]
	}
}

func sortedLines(b *testing.B, path string) []string {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	slices.Sort(lines)
	return lines
}

// loadAverage is the machine's 1, 5 and 15 minute load (Linux), to read
// beside a time measured on a shared machine.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
