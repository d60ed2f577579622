package mock

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock/store"
)

// Benchmarks of the mock at scale. Run them with
//
//	go test ./mock/ -run '^$' -bench . -benchtime 3s
//
// BenchmarkSeed measures seeding into bbolt (and reports the file size);
// BenchmarkServe100k serves a 100,000-user tenant in a bbolt file, over
// the in-process transport and over TCP, including the p99 latency of 32
// concurrent clients. The get-methods benchmarks also report the CPU time
// a request costs (cpu-µs/req, req/cpu-s), which other work on a shared
// machine depresses far less than req/s.

// SEED_USERS=1000000 adds a tenant of that size to BenchmarkSeed (run it
// with -bench 'Seed$' -benchtime 1x). Each size reports the store's size,
// users/s and the peak of the live heap, which stays flat as the tenant
// grows (the tenant is generated into an external sorter and loaded in
// batches).
func BenchmarkSeed(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if v := os.Getenv("SEED_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < MinSyntheticUsers || n > MaxSyntheticUsers {
			b.Fatalf("SEED_USERS=%q: want %d to %d users", v, MinSyntheticUsers, MaxSyntheticUsers)
		}
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("users=%d", n), func(b *testing.B) {
			var size int64
			var peak float64
			for i := 0; i < b.N; i++ {
				path := filepath.Join(b.TempDir(), "state.db")
				st, err := store.OpenBolt(path, time.Second)
				if err != nil {
					b.Fatal(err)
				}
				heap := watchHeap()
				if _, err := SeedSynthetic(st, SynthOptions{Users: n, Seed: 42}); err != nil {
					b.Fatal(err)
				}
				peak = max(peak, heap())
				st.Close()
				fi, _ := os.Stat(path)
				size = fi.Size()
			}
			b.ReportMetric(float64(size)/1e6, "MB-store")
			b.ReportMetric(peak/1e6, "peak-heap-MB")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "users/s")
		})
	}
}

// watchHeap samples the live heap every 5 ms until the returned function is
// called, which gives the highest sample in bytes.
func watchHeap() func() float64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
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
			peak = max(peak, sample[0].Value.Uint64())
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

// benchTenant is a served 100,000-user tenant and who is in it.
type benchTenant struct {
	srv *Server
	// ids are users to read; noOffice users have no office phone (a POST
	// of one succeeds under Entra's one-phone-per-type rule).
	ids, noOffice []string
}

func newBenchTenant(b *testing.B, users int) *benchTenant {
	b.Helper()
	path := filepath.Join(b.TempDir(), "state.db")
	st, err := store.OpenBolt(path, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := SeedSynthetic(st, SynthOptions{Users: users, Seed: 42}); err != nil {
		b.Fatal(err)
	}
	srv, err := NewServer(Options{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close(); st.Close() })
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	t := &benchTenant{srv: srv}
	office := map[string]bool{}
	st.View(func(tx store.Tx) error {
		store.ScanJSON(tx, bucketMethods, "", "", func(_ string, m methodRecord) (bool, error) {
			if m.Kind == methods.KindPhone && m.PhoneType == methods.PhoneOffice {
				office[m.UserID] = true
			}
			return true, nil
		})
		return tx.Scan(bucketUsers, "", "", func(k string, _ []byte) bool {
			t.ids = append(t.ids, k)
			if !office[k] {
				t.noOffice = append(t.noOffice, k)
			}
			return true
		})
	})
	return t
}

func benchClient(transport http.RoundTripper) *http.Client {
	if transport == nil {
		transport = &http.Transport{MaxIdleConnsPerHost: 64}
	}
	return &http.Client{Transport: transport, Timeout: time.Minute}
}

func send(c *http.Client, method, url, body string) (int, error) {
	var rdr io.Reader
	if body != "" {
		rdr = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rdr)
	req.Header.Set("Authorization", "Bearer "+DefaultAdminToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func BenchmarkServe100k(b *testing.B) {
	t := newBenchTenant(b, 100_000)
	targets := []struct {
		name string
		root string
		c    *http.Client
	}{
		{"in-process", InProcessRoot, benchClient(t.srv.Transport())},
		{"tcp", t.srv.URL(), benchClient(nil)},
	}
	for _, tg := range targets {
		b.Run("get-methods/"+tg.name, func(b *testing.B) {
			cpu := processCPU()
			for i := 0; i < b.N; i++ {
				id := t.ids[(i*7919)%len(t.ids)]
				if code, err := send(tg.c, "GET", tg.root+"/v1.0/users/"+id+"/authentication/methods", ""); err != nil || code != 200 {
					b.Fatalf("%d %v", code, err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			reportCPU(b, processCPU()-cpu)
		})
	}
	b.Run("list-users-page-of-100/tcp", func(b *testing.B) {
		c := benchClient(nil)
		for i := 0; i < b.N; i++ {
			if code, err := send(c, "GET", t.srv.URL()+"/v1.0/users", ""); err != nil || code != 200 {
				b.Fatalf("%d %v", code, err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	// Each POST adds an office phone to a user who has none; the benchmark
	// harness calls this function several times with growing b.N, so the
	// next user to use is kept across calls.
	nextNoOffice := 0
	b.Run("post-phoneMethods/tcp", func(b *testing.B) {
		c := benchClient(nil)
		if nextNoOffice+b.N > len(t.noOffice) {
			b.Skipf("only %d users without an office phone are left", len(t.noOffice)-nextNoOffice)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			id := t.noOffice[nextNoOffice]
			nextNoOffice++
			if code, err := send(c, "POST", t.srv.URL()+"/v1.0/users/"+id+"/authentication/phoneMethods", `{"phoneNumber":"+1 2065550100","phoneType":"office"}`); err != nil || code != 201 {
				b.Fatalf("%d %v", code, err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	// A committed, fsynced write of a phone method's size: the cost a POST
	// phoneMethods adds to its request handling.
	b.Run("store-write-phone", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			id := t.noOffice[i%len(t.noOffice)]
			err := t.srv.store.Update(func(tx store.Tx) error {
				if _, err := getUser(tx, id); err != nil {
					return err
				}
				return putMethod(tx, &methodRecord{UserID: id, Method: methods.Method{ID: methods.OfficePhoneID, Kind: methods.KindPhone,
					PhoneType: methods.PhoneOffice, PhoneNumber: "+1 2065550100", SMSSignInState: "notSupported"}})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	})
	// An HTTP write through the whole stack, committed before the answer.
	b.Run("post-clock/tcp", func(b *testing.B) {
		c := benchClient(nil)
		for i := 0; i < b.N; i++ {
			if code, err := send(c, "POST", t.srv.URL()+"/_mock/clock", `{"advance":"1ms"}`); err != nil || code != 200 {
				b.Fatalf("%d %v", code, err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("get-methods-32-clients/tcp", func(b *testing.B) {
		concurrent(b, 32, func(c *http.Client, i int) (int, error) {
			id := t.ids[(i*7919)%len(t.ids)]
			return send(c, "GET", t.srv.URL()+"/v1.0/users/"+id+"/authentication/methods", "")
		})
	})
	b.Run("post-clock-32-clients/tcp", func(b *testing.B) {
		concurrent(b, 32, func(c *http.Client, i int) (int, error) {
			return send(c, "POST", t.srv.URL()+"/_mock/clock", `{"advance":"1ms"}`)
		})
	})
}

// reportCPU reports the process's CPU time per request (client, server and
// garbage collector together) and the requests a second that CPU time
// allows: a measure the other work on a shared machine does not depress
// the way it depresses req/s.
func reportCPU(b *testing.B, cpu time.Duration) {
	if cpu <= 0 || b.N == 0 {
		return
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "req/cpu-s")
}

// concurrent runs b.N requests from clients goroutines and reports the
// throughput and the 50th and 99th percentile latencies.
func concurrent(b *testing.B, clients int, do func(*http.Client, int) (int, error)) {
	c := benchClient(nil)
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				start := time.Now()
				code, err := do(c, i)
				lat[w] = append(lat[w], time.Since(start))
				if err != nil || code >= 300 {
					b.Errorf("request %d: %d %v", i, code, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	pct := func(p float64) float64 { return float64(all[int(p*float64(len(all)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
