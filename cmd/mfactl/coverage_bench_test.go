package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/throttling"
)

// The coverage benchmarks of issue 7, side by side in one run against a
// separate `mfactl mock serve` process with a seeded tenant:
//
//  1. BenchmarkCoverage/100k-latency20ms: `report coverage -o csv` with
//     each source on 100,000 users with 20 ms per request, against a
//     baseline that lists users and fetches each user's methods one request
//     at a time with the official SDK (timed on a 2,000-user sample and
//     scaled linearly), with the peak resident memory of each run.
//  2. BenchmarkCoverage/10k-throttled: each source on 10,000 users under
//     Graph's throttling budgets (`--throttle graph`), against the bound the
//     budgets imply, with the share of requests answered 429.
//
// Run them with
//
//	go test ./cmd/mfactl/ -run '^$' -bench Coverage -benchtime 1x -timeout 60m -v
//
// MFACTL_BENCH_USERS, MFACTL_BENCH_THROTTLED_USERS and MFACTL_BENCH_SAMPLE
// change the sizes (for a quick try).
func BenchmarkCoverage(b *testing.B) {
	big := envInt(b, "MFACTL_BENCH_USERS", 100_000)
	throttled := envInt(b, "MFACTL_BENCH_THROTTLED_USERS", 10_000)
	sample := envInt(b, "MFACTL_BENCH_SAMPLE", 2_000)

	b.Run(fmt.Sprintf("%dk-latency20ms", big/1000), func(b *testing.B) {
		dir := b.TempDir()
		state := seedState(b, dir, big)
		srv := startCoverageServe(b, dir, state, "--latency", "20ms")
		defer srv.stop()
		disabled := countDisabled(b, srv.url)
		for _, source := range []string{"auto", "registration", "methods"} {
			run := runCoverage(b, dir, srv.url, source)
			want := big
			if source == "registration" {
				want = big - disabled
			}
			if run.rows != want {
				b.Fatalf("--source %s: %d rows, want %d", source, run.rows, want)
			}
			b.Logf("--source %-12s %8.2fs  peak RSS %6.1f MB  %s", source, run.elapsed.Seconds(), run.peakMB, run.stats)
			b.ReportMetric(run.elapsed.Seconds(), source+"-s")
			b.ReportMetric(run.peakMB, source+"-peakMB")
			if source == "auto" {
				defer func(auto time.Duration) {
					base := baseline(b, srv.url, sample)
					scaled := time.Duration(float64(base) * float64(big) / float64(sample))
					b.Logf("baseline (official SDK, one request per user): %d users in %.2fs, scaled to %d users: %.0fs; auto is %.0fx faster",
						sample, base.Seconds(), big, scaled.Seconds(), scaled.Seconds()/auto.Seconds())
					b.ReportMetric(base.Seconds(), "baseline-sample-s")
					b.ReportMetric(scaled.Seconds(), "baseline-scaled-s")
					b.ReportMetric(scaled.Seconds()/auto.Seconds(), "auto-speedup-x")
				}(run.elapsed)
			}
		}
	})

	b.Run(fmt.Sprintf("%dk-throttled", throttled/1000), func(b *testing.B) {
		dir := b.TempDir()
		state := seedState(b, dir, throttled)
		srv := startCoverageServe(b, dir, state, "--throttle", "graph")
		defer srv.stop()
		disabled := countDisabled(b, srv.url)
		enabled := throttled - disabled
		ru := throttling.IdentityBudget(throttled)
		// Requests needed / requests allowed per second, per budget.
		regPages := ceilDiv(enabled, graph.MaxPageSize)
		regBound := float64(regPages) / (float64(throttling.ReportsBudget) / throttling.Window.Seconds())
		methodsRU := func(n int) int { return ceilDiv(n, graph.MaxPageSize) + 2*n }
		methBound := float64(methodsRU(throttled)) / (float64(ru) / throttling.Window.Seconds())
		disabledBound := float64(methodsRU(disabled)) / (float64(ru) / throttling.Window.Seconds())
		bounds := map[string]float64{"auto": math.Max(regBound, disabledBound), "registration": regBound, "methods": methBound}
		for _, source := range []string{"auto", "registration", "methods"} {
			// Each run starts with fresh budgets: wait out the last one's.
			time.Sleep(throttling.Window + time.Second)
			run := runCoverage(b, dir, srv.url, source)
			if source == "auto" && run.bound > 0 {
				// auto reads two fronts: its bound is the one --stats
				// computes (docs/reports.md, "Two fronts").
				bounds[source] = run.bound.Seconds()
			}
			ratio := run.elapsed.Seconds() / bounds[source]
			b.Logf("--source %-12s %8.2fs  bound %6.1fs  ratio %.2f  %d of %d requests throttled (%.2f%%)",
				source, run.elapsed.Seconds(), bounds[source], ratio, run.throttled, run.requests, 100*float64(run.throttled)/float64(max(run.requests, 1)))
			b.ReportMetric(run.elapsed.Seconds(), source+"-s")
			b.ReportMetric(ratio, source+"-x-bound")
			b.ReportMetric(100*float64(run.throttled)/float64(max(run.requests, 1)), source+"-429-pct")
		}
	})
}

func envInt(b *testing.B, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 {
			b.Fatalf("%s=%q is not a user count", name, v)
		}
		return n
	}
	return def
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func seedState(b *testing.B, dir string, users int) string {
	b.Helper()
	state := filepath.Join(dir, "state.db")
	start := time.Now()
	if out, err := exec.Command(binary, "mock", "seed", "--users", strconv.Itoa(users), "--seed", "42", "--state", state).CombinedOutput(); err != nil {
		b.Fatalf("seed: %v\n%s", err, out)
	}
	b.Logf("seeded %d users in %.1fs", users, time.Since(start).Seconds())
	return state
}

type served struct {
	url  string
	stop func()
}

func startCoverageServe(b *testing.B, dir, state string, flags ...string) *served {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, append([]string{"mock", "serve", "--addr", "127.0.0.1:0", "--state", state}, flags...)...)
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &served{stop: func() { cancel(); cmd.Wait() }}
	s.url = listeningURL(b, stdout, s.stop)
	return s
}

// listeningURL is the URL `mfactl mock serve` prints on stdout once it
// listens; the benchmark fails (and the server is stopped) when it does
// not start within two minutes (seeding a large state takes a while).
func listeningURL(b *testing.B, stdout io.Reader, stop func()) string {
	b.Helper()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				urls <- u
			}
		}
	}()
	select {
	case u := <-urls:
		return u
	case <-time.After(2 * time.Minute):
		stop()
		b.Fatal("mock serve did not start")
		return ""
	}
}

// countDisabled asks the served mock how many users are disabled.
func countDisabled(b *testing.B, root string) int {
	c := sdkClient(b, root)
	n, err := c.CountUsers(context.Background(), "accountEnabled eq false")
	if err != nil {
		b.Fatal(err)
	}
	return n
}

type coverageRun struct {
	elapsed             time.Duration
	rows                int
	peakMB              float64
	stats               string
	requests, throttled int
	// bound is the two-budget bound --stats printed (0 unmetered); met
	// where the fronts met; out the CSV written.
	bound time.Duration
	met   string
	out   string
}

var statsLine = regexp.MustCompile(`stats: .*?; (\d+) requests .*?, (\d+) throttled`)

// runCoverage runs `mfactl report coverage -o csv --source S --stats` as
// its own process and measures it.
func runCoverage(b *testing.B, dir, root, source string) coverageRun {
	b.Helper()
	out := filepath.Join(dir, "coverage-"+source+".csv")
	cmd := exec.Command(binary, "report", "coverage", "-o", "csv", "--source", source, "--stats", "--no-tokens", "--out", out)
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "XDG_CONFIG_HOME=" + dir, "XDG_STATE_HOME=" + dir,
		"MFACTL_ENDPOINT=" + root, "MFACTL_TOKEN=mock-admin-token"}
	start := time.Now()
	stderr, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		b.Fatalf("report coverage --source %s: %v\n%s", source, err, stderr)
	}
	r := coverageRun{elapsed: elapsed, out: out}
	parseFronts(&r, string(stderr))
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakMB = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	for _, line := range strings.Split(string(stderr), "\n") {
		if strings.HasPrefix(line, "stats: ") && strings.Contains(line, " users in ") {
			r.stats = strings.TrimPrefix(line, "stats: ")
		}
	}
	if m := statsLine.FindStringSubmatch(string(stderr)); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
		r.throttled, _ = strconv.Atoi(m[2])
	}
	data, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	r.rows = strings.Count(string(data), "\n") - 1 // the header
	return r
}

func sdkClient(b *testing.B, root string) *graph.Client {
	b.Helper()
	c, err := graph.New(graph.Options{Root: root, Credential: graph.StaticToken("mock-admin-token")})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// baseline is today's script: list the users with the official SDK's
// page iterator, then GET each user's methods, one request at a time.
func baseline(b *testing.B, root string, sample int) time.Duration {
	b.Helper()
	ctx := context.Background()
	adapter := sdkClient(b, root).V1()
	builder := users.NewUsersRequestBuilder(adapter.GetBaseUrl()+"/users", adapter)
	start := time.Now()
	top := int32(graph.MaxPageSize)
	resp, err := builder.Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: &top}})
	if err != nil {
		b.Fatal(err)
	}
	it, err := msgraphcore.NewPageIterator[models.Userable](resp, adapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	err = it.Iterate(ctx, func(u models.Userable) bool {
		ids = append(ids, *u.GetId())
		return len(ids) < sample
	})
	if err != nil {
		b.Fatal(err)
	}
	methods := 0
	for _, id := range ids {
		ms, err := builder.ByUserId(id).Authentication().Methods().Get(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		methods += len(ms.GetValue())
	}
	if len(ids) < sample || methods == 0 {
		b.Fatalf("baseline read %d users, %d methods", len(ids), methods)
	}
	return time.Since(start)
}
