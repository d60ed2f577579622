package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkBulkApply plans and applies one to three operations for each of
// BULK_USERS (default 10,000) users of a synthetic tenant, with the built
// binary against a separate `mfactl mock serve`: once with --throttle graph
// (the time is held against the bound the write budget sets, operations /
// 20 per second, less the first window's 3,000), once with --latency 20ms
// and no throttling (the $batch requests are counted: about operations /
// 20). It reports the apply's time, its requests, 429 answers and the peak
// memory (max RSS) of the plan and the apply. Run it with
//
//	BULK_USERS=10000 go test ./cmd/mfactl/ -run '^$' -bench BulkApply -benchtime 1x -timeout 60m
func BenchmarkBulkApply(b *testing.B) {
	users := envInt(b, "BULK_USERS", 10_000)
	modes := map[string][]string{"throttle=graph": {"--throttle", "graph"}, "latency=20ms": {"--latency", "20ms"}}
	for _, name := range []string{"latency=20ms", "throttle=graph"} {
		if only := os.Getenv("BULK_MODE"); only != "" && only != name {
			continue
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir := b.TempDir()
				state := seedState(b, dir, users+users/10+50)
				srv := startCountingServe(b, dir, state, modes[name]...)
				upns := memberUPNs(b, srv.url, users)
				in := filepath.Join(dir, "in.csv")
				ops := writeBulkCSV(b, in, upns)
				env := []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "XDG_CONFIG_HOME=" + dir, "XDG_STATE_HOME=" + dir,
					"MFACTL_ENDPOINT=" + srv.url, "MFACTL_TOKEN=mock-admin-token"}
				plan := filepath.Join(dir, "plan.json")
				planTime, planRSS, out := runMeasured(b, env, "bulk", "plan", in, "--out", plan, "-o", "json")
				var sum struct {
					Summary struct{ Operations, Refused int }
				}
				// A few synthetic users' sessions were revoked within the
				// last day: their revokeSessions is not planned.
				if err := json.Unmarshal(out, &sum); err != nil || sum.Summary.Operations > ops || sum.Summary.Operations < ops*99/100 || sum.Summary.Refused != 0 {
					b.Fatalf("plan: %v %+v, want about %d operations\n%s", err, sum, ops, out)
				}
				ops = sum.Summary.Operations
				srv.reset()
				b.StartTimer()
				applyTime, applyRSS, out := runMeasured(b, env, "bulk", "apply", plan, "--yes", "-o", "json")
				b.StopTimer()
				var res struct{ Applied, Failed, Conflicts int }
				if err := json.Unmarshal(out, &res); err != nil || res.Applied != ops {
					b.Fatalf("apply: %v %+v\n%s", err, res, out)
				}
				batches, steps, writes, throttled := srv.batches.Load(), srv.steps.Load(), srv.writes.Load(), srv.throttled.Load()
				srv.stop()
				bound := float64(max(ops-3000, 0)) / 20
				b.ReportMetric(float64(ops), "ops")
				b.ReportMetric(applyTime.Seconds(), "apply-s")
				b.ReportMetric(planTime.Seconds(), "plan-s")
				if name == "throttle=graph" {
					b.ReportMetric(bound, "bound-s")
					b.ReportMetric(applyTime.Seconds()/max(bound, 1), "x-bound")
				}
				b.ReportMetric(float64(batches), "batches")
				b.ReportMetric(float64(writes), "writes")
				b.ReportMetric(float64(steps-writes), "reads")
				b.ReportMetric(100*float64(throttled)/float64(max(steps, 1)), "%429")
				b.ReportMetric(float64(planRSS)/1024, "plan-MB")
				b.ReportMetric(float64(applyRSS)/1024, "apply-MB")
			}
		})
	}
}

// runMeasured runs the binary and returns its time, max RSS (KB) and stdout.
func runMeasured(b *testing.B, env []string, args ...string) (time.Duration, int64, []byte) {
	b.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("%v: %v\n%s", args, err, stderr.String())
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	return d, rss, out
}

// writeBulkCSV writes one row per user with one to three operations: a new
// mobile number; and an email; and a revocation of sessions. It returns the
// number of operations.
func writeBulkCSV(b *testing.B, path string, upns []string) int {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "user,mobile,email,revokeSessions")
	ops := 0
	for i, u := range upns {
		mobile := fmt.Sprintf("+1 206%07d", 2_000_000+i)
		switch i % 3 {
		case 0:
			fmt.Fprintf(w, "%s,%s,,\n", u, mobile)
			ops++
		case 1:
			fmt.Fprintf(w, "%s,%s,bulk%d@fabrikam.example,\n", u, mobile, i)
			ops += 2
		case 2:
			fmt.Fprintf(w, "%s,%s,bulk%d@fabrikam.example,yes\n", u, mobile, i)
			ops += 3
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return ops
}

// countingServe is a `mock serve --log` whose log is counted: $batch
// requests, their steps (each logged), write steps and 429 answers.
type countingServe struct {
	url                               string
	batches, steps, writes, throttled atomic.Int64
	stop                              func()
}

func (s *countingServe) reset() {
	s.batches.Store(0)
	s.steps.Store(0)
	s.writes.Store(0)
	s.throttled.Store(0)
}

func startCountingServe(b *testing.B, dir, state string, flags ...string) *countingServe {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, append([]string{"mock", "serve", "--addr", "127.0.0.1:0", "--state", state, "--log"}, flags...)...)
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &countingServe{}
	s.stop = func() { cancel(); cmd.Wait() }
	b.Cleanup(s.stop)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 4 {
				continue
			}
			if strings.Contains(f[2], "$batch") {
				s.batches.Add(1)
				continue
			}
			s.steps.Add(1)
			if f[1] != "GET" {
				s.writes.Add(1)
			}
			if f[3] == "429" {
				s.throttled.Add(1)
			}
		}
	}()
	s.url = listeningURL(b, stdout, s.stop)
	return s
}
