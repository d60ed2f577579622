// Command mfactl-bench is a small load generator for a Graph endpoint such
// as `mfactl mock serve`: concurrent clients send one kind of request for
// a while, and it reports throughput and latency percentiles.
//
//	mfactl-bench -url http://127.0.0.1:8080 -clients 32 -duration 10s \
//	    -path '/v1.0/users/{user}/authentication/methods'
//
// {user} in -path and -body is replaced by user ids taken from GET /users,
// round-robin; {n} by the request's sequence number.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mfactl-bench:", err)
		os.Exit(2)
	}
}

type config struct {
	url, token, method, path, body, caCert string
	clients, users                         int
	duration                               time.Duration
}

func run(ctx context.Context, args []string, out io.Writer) error {
	var c config
	fs := flag.NewFlagSet("mfactl-bench", flag.ContinueOnError)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "root URL of the server")
	fs.StringVar(&c.token, "token", "mock-admin-token", "bearer token")
	fs.StringVar(&c.method, "method", "GET", "HTTP method")
	fs.StringVar(&c.path, "path", "/v1.0/users/{user}/authentication/methods", "request path; {user} and {n} are replaced")
	fs.StringVar(&c.body, "body", "", "JSON request body; {user} and {n} are replaced")
	fs.StringVar(&c.caCert, "ca-cert", "", "PEM file to trust for https")
	fs.IntVar(&c.clients, "clients", 32, "concurrent clients")
	fs.IntVar(&c.users, "users", 1000, "user ids to fetch for {user}")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long to send requests")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.clients < 1 || c.duration <= 0 || c.users < 1 {
		return errors.New("-clients, -users and -duration must be positive")
	}
	transport := &http.Transport{MaxIdleConnsPerHost: c.clients, MaxConnsPerHost: c.clients}
	if c.caCert != "" {
		pem, err := os.ReadFile(c.caCert)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s holds no PEM certificate", c.caCert)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{Transport: transport, Timeout: time.Minute}
	root := strings.TrimRight(c.url, "/")

	var ids []string
	if strings.Contains(c.path+c.body, "{user}") {
		var err error
		if ids, err = userIDs(ctx, client, root, c.token, c.users); err != nil {
			return err
		}
	}
	res := load(ctx, client, root, c, ids)
	res.print(out, c)
	return nil
}

// userIDs pages through GET /v1.0/users for up to n ids.
func userIDs(ctx context.Context, client *http.Client, root, token string, n int) ([]string, error) {
	var ids []string
	next := root + "/v1.0/users?$select=id&$top=999"
	for next != "" && len(ids) < n {
		req, _ := http.NewRequestWithContext(ctx, "GET", next, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		var page struct {
			Value []struct {
				ID string `json:"id"`
			} `json:"value"`
			Next string `json:"@odata.nextLink"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			return nil, fmt.Errorf("list users: %s %v", resp.Status, err)
		}
		for _, u := range page.Value {
			ids = append(ids, u.ID)
		}
		next = page.Next
	}
	if len(ids) == 0 {
		return nil, errors.New("the tenant has no users for {user}")
	}
	return ids[:min(n, len(ids))], nil
}

type result struct {
	elapsed   time.Duration
	latencies []time.Duration
	statuses  map[string]int
}

func load(ctx context.Context, client *http.Client, root string, c config, ids []string) result {
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	var seq atomic.Int64
	var mu sync.Mutex
	res := result{statuses: map[string]int{}}
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < c.clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			statuses := map[string]int{}
			for ctx.Err() == nil {
				n := int(seq.Add(1)) - 1
				fill := func(s string) string {
					s = strings.ReplaceAll(s, "{n}", strconv.Itoa(n))
					if len(ids) > 0 {
						s = strings.ReplaceAll(s, "{user}", ids[n%len(ids)])
					}
					return s
				}
				var body io.Reader
				if c.body != "" {
					body = strings.NewReader(fill(c.body))
				}
				req, _ := http.NewRequest(c.method, root+fill(c.path), body)
				req.Header.Set("Authorization", "Bearer "+c.token)
				if c.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					statuses["transport error"]++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(t0))
				statuses[strconv.Itoa(resp.StatusCode)]++
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			for k, v := range statuses {
				res.statuses[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	slices.Sort(res.latencies)
	return res
}

func (r result) print(w io.Writer, c config) {
	fmt.Fprintf(w, "%s %s, %d clients, %s\n", c.method, c.path, c.clients, r.elapsed.Round(time.Millisecond))
	keys := make([]string, 0, len(r.statuses))
	total := 0
	for k, v := range r.statuses {
		keys = append(keys, k)
		total += v
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, r.statuses[k])
	}
	fmt.Fprintf(w, "requests:   %d (%s)\n", total, strings.Join(parts, ", "))
	fmt.Fprintf(w, "throughput: %.0f req/s\n", float64(total)/r.elapsed.Seconds())
	if len(r.latencies) == 0 {
		return
	}
	p := func(q float64) time.Duration { return r.latencies[int(q*float64(len(r.latencies)-1))] }
	fmt.Fprintf(w, "latency:    p50 %s  p90 %s  p99 %s  max %s\n", p(0.5).Round(time.Microsecond), p(0.9).Round(time.Microsecond),
		p(0.99).Round(time.Microsecond), r.latencies[len(r.latencies)-1].Round(time.Microsecond))
}
