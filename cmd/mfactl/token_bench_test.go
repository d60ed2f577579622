package main

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkTokenImport10k imports a 10,000-token CSV (2,000 of them assigned
// to users of a 2,500-user synthetic tenant) with the built binary into a
// separate `mfactl mock serve` process, without latency and with 20 ms per
// request, and reports the time, the $batch requests the server received
// and the reads and writes in them (its --log has a line for each request
// and each batch step). Run it with
//
//	go test ./cmd/mfactl/ -run '^$' -bench TokenImport -benchtime 1x
func BenchmarkTokenImport10k(b *testing.B) {
	const tokens, assigned, users = 10_000, 2_000, 2_500
	for _, latency := range []string{"", "20ms"} {
		name := "latency=none"
		if latency != "" {
			name = "latency=" + latency
		}
		b.Run(name, func(b *testing.B) {
			var requests, batches, reads int64
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir := b.TempDir()
				state := filepath.Join(dir, "state.db")
				if out, err := exec.Command(binary, "mock", "seed", "--users", fmt.Sprint(users), "--seed", "7", "--state", state).CombinedOutput(); err != nil {
					b.Fatalf("seed: %v\n%s", err, out)
				}
				srv := startLoggedServe(b, dir, state, latency)
				upns := memberUPNs(b, srv.url, assigned)
				file := filepath.Join(dir, "tokens.csv")
				writeBenchCSV(b, file, tokens, upns)
				srv.reset()
				cmd := exec.Command(binary, "token", "import", file, "--skip-invalid", "-o", "json")
				cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), "XDG_CONFIG_HOME=" + dir, "XDG_STATE_HOME=" + dir,
					"MFACTL_ENDPOINT=" + srv.url, "MFACTL_TOKEN=mock-admin-token"}
				start := time.Now()
				b.StartTimer()
				out, err := cmd.Output()
				b.StopTimer()
				elapsed += time.Since(start)
				var res struct {
					Imported, Skipped, Rejected, Failed int
				}
				if jerr := json.Unmarshal(out, &res); jerr != nil || res.Imported+res.Rejected != tokens || res.Failed != 0 {
					b.Fatalf("import: %v %v %+v", err, jerr, res)
				}
				if res.Rejected > 0 {
					b.Logf("%d rows rejected by the tenant rules", res.Rejected)
				}
				requests += srv.requests.Load()
				batches += srv.batches.Load()
				reads += srv.reads.Load()
				srv.stop()
			}
			// The server logs a $batch and each of its steps: HTTP requests
			// are the batches and the requests that were not steps; the
			// reads and writes are what Graph's budgets count.
			n := float64(b.N)
			writes := float64(requests-batches) - float64(reads)
			b.ReportMetric(float64(batches)/n, "batches/op")
			b.ReportMetric(float64(reads)/n, "reads/op")
			b.ReportMetric(writes/n, "writes/op")
			b.ReportMetric(float64(tokens)*n/elapsed.Seconds(), "tokens/s")
		})
	}
}

// loggedServe is a `mock serve` process whose request log is counted.
type loggedServe struct {
	url                      string
	requests, batches, reads atomic.Int64
	stop                     func()
}

func (s *loggedServe) reset() {
	s.requests.Store(0)
	s.batches.Store(0)
	s.reads.Store(0)
}

func startLoggedServe(b *testing.B, dir, state, latency string) *loggedServe {
	b.Helper()
	args := []string{"mock", "serve", "--addr", "127.0.0.1:0", "--state", state, "--log"}
	if latency != "" {
		args = append(args, "--latency", latency)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &loggedServe{}
	s.stop = func() { cancel(); cmd.Wait() }
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 3 {
				continue
			}
			s.requests.Add(1)
			switch {
			case strings.Contains(f[2], "$batch"):
				s.batches.Add(1)
			case f[1] == "GET":
				s.reads.Add(1)
			}
		}
	}()
	s.url = listeningURL(b, stdout, s.stop)
	return s
}

// memberUPNs reads n member users of the served tenant, skipping the mock
// token principals (admins).
func memberUPNs(b *testing.B, root string, n int) []string {
	b.Helper()
	var out []string
	next := root + "/v1.0/users?$select=userPrincipalName,userType&$top=999"
	for next != "" && len(out) < n {
		req, _ := http.NewRequest("GET", next, nil)
		req.Header.Set("Authorization", "Bearer mock-admin-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var page struct {
			Value []struct {
				UPN      string `json:"userPrincipalName"`
				UserType string `json:"userType"`
			} `json:"value"`
			Next string `json:"@odata.nextLink"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range page.Value {
			if u.UserType == "Member" && !strings.HasPrefix(u.UPN, "mfa.admin@") && !strings.HasPrefix(u.UPN, "helpdesk@") && len(out) < n {
				out = append(out, u.UPN)
			}
		}
		next = page.Next
	}
	if len(out) < n {
		b.Fatalf("only %d member users", len(out))
	}
	return out
}

// writeBenchCSV writes n tokens with distinct seeds; the first len(upns)
// are assigned, one per user.
func writeBenchCSV(b *testing.B, path string, n int, upns []string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "upn,serial number,secret key,time interval,manufacturer,model")
	for i := 0; i < n; i++ {
		sum := sha1.Sum([]byte(fmt.Sprintf("bench seed %d", i)))
		seed := base32.StdEncoding.EncodeToString(sum[:])
		upn := ""
		if i < len(upns) {
			upn = upns[i]
		}
		fmt.Fprintf(w, "%s,BENCH%06d,%s,30,Contoso,OTP-C200\n", upn, i, seed)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}
