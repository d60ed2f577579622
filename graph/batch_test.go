package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mfactl/mfactl/mock"
)

// throttlingTransport passes requests to the in-process mock and rewrites
// chosen inner responses of each $batch into 429s, so retries are exercised
// deterministically.
type throttlingTransport struct {
	next http.RoundTripper
	// throttle decides, per step URL and attempt, whether to answer 429.
	throttle func(url string, attempt int) bool
	mu       sync.Mutex
	attempts map[string]int
	batches  atomic.Int32
	// stepURL maps each step id to its URL; filled by capture.
	stepURLMu sync.Mutex
	stepURL   map[string]string
}

func (t *throttlingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/$batch") {
		return t.next.RoundTrip(req)
	}
	t.batches.Add(1)
	resp, err := t.next.RoundTrip(req)
	if err != nil || t.throttle == nil {
		return resp, err
	}
	// Map step ids to URLs from the request body.
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out struct {
		Responses []map[string]any `json:"responses"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, err
	}
	t.mu.Lock()
	for _, r := range out.Responses {
		id, _ := r["id"].(string)
		t.stepURLMu.Lock()
		key := t.stepURL[id]
		t.stepURLMu.Unlock()
		t.attempts[key]++
		if t.throttle(key, t.attempts[key]) {
			r["status"] = 429
			r["headers"] = map[string]string{"Content-Type": "application/json", "Retry-After": "0"}
			r["body"] = map[string]any{"error": map[string]any{"code": "TooManyRequests", "message": "Too many requests."}}
		}
	}
	t.mu.Unlock()
	b, _ := json.Marshal(out)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", fmt.Sprint(len(b)))
	return resp, nil
}

// capture records step ids and URLs of outgoing batches before they are
// compressed (it sits under the middleware, so it sees gzip bodies).
type capture struct {
	next http.RoundTripper
	tt   *throttlingTransport
}

func (c capture) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.URL.Path, "/$batch") && req.Body != nil {
		raw, _ := io.ReadAll(req.Body)
		req.Body.Close()
		plain := maybeGunzip(raw, req.Header.Get("Content-Encoding"))
		var in struct {
			Requests []struct {
				ID  string `json:"id"`
				URL string `json:"url"`
			} `json:"requests"`
		}
		if err := json.Unmarshal(plain, &in); err == nil {
			c.tt.stepURLMu.Lock()
			for _, r := range in.Requests {
				c.tt.stepURL[r.ID] = r.URL
			}
			c.tt.stepURLMu.Unlock()
		}
		req.Body = io.NopCloser(bytes.NewReader(raw))
	}
	return c.next.RoundTrip(req)
}

func batchClient(t *testing.T, throttle func(string, int) bool) (*Client, *throttlingTransport) {
	t.Helper()
	srv, err := mock.NewServer(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	tt := &throttlingTransport{next: srv.Transport(), throttle: throttle, attempts: map[string]int{}, stepURL: map[string]string{}}
	c, err := New(Options{Root: mock.InProcessRoot, Credential: StaticToken(mock.DefaultAdminToken), Transport: capture{next: tt, tt: tt}})
	if err != nil {
		t.Fatal(err)
	}
	return c, tt
}

// methodRequests yields n GET methods requests cycling over the demo users.
func methodRequests(t *testing.T, c *Client, n int, extra ...string) iter.Seq[BatchItem] {
	users := append(mock.DemoUsers()[:0:0], mock.DemoUsers()...)
	return func(yield func(BatchItem) bool) {
		for i := 0; i < n; i++ {
			upn := users[i%len(users)].UPN
			ri, err := c.users().ByUserId(upn).Authentication().Methods().ToGetRequestInformation(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !yield(BatchItem{Key: fmt.Sprintf("%d:%s", i, upn), Request: ri}) {
				return
			}
		}
		for _, upn := range extra {
			ri, _ := c.users().ByUserId(upn).Authentication().Methods().ToGetRequestInformation(context.Background(), nil)
			if !yield(BatchItem{Key: upn, Request: ri}) {
				return
			}
		}
	}
}

func TestBatchSendsTwentyPerRequestAndAnswersEveryItem(t *testing.T) {
	c, tt := batchClient(t, nil)
	got := map[string]BatchResult{}
	err := c.Batch(context.Background(), methodRequests(t, c, 45), BatchOptions{Concurrency: 3, Op: "list methods of"}, func(r BatchResult) error {
		if _, dup := got[r.Key]; dup {
			t.Errorf("%s answered twice", r.Key)
		}
		got[r.Key] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 45 {
		t.Fatalf("%d results, want 45", len(got))
	}
	if n := tt.batches.Load(); n != 3 {
		t.Errorf("%d $batch requests for 45 items, want 3", n)
	}
	for k, r := range got {
		var body struct {
			Value []map[string]any `json:"value"`
		}
		if r.Err != nil || r.Status != 200 || json.Unmarshal(r.Body, &body) != nil || len(body.Value) == 0 {
			t.Errorf("%s: status %d err %v body %s", k, r.Status, r.Err, r.Body)
		}
	}
}

func TestBatchRetriesThrottledStepsOnly(t *testing.T) {
	// Two users' requests are throttled twice before they get through;
	// each step id is new per attempt, so attempts are counted per URL.
	throttled := func(url string, attempt int) bool {
		return (strings.Contains(url, "adele.vance") || strings.Contains(url, "megan.bowen")) && attempt <= 2
	}
	c, _ := batchClient(t, throttled)
	var throttles atomic.Int32
	results := map[string]BatchResult{}
	// One item per user, so a URL's attempts are one item's attempts.
	err := c.Batch(context.Background(), methodRequests(t, c, len(mock.DemoUsers())), BatchOptions{OnThrottle: func(time.Duration) { throttles.Add(1) }}, func(r BatchResult) error {
		results[r.Key] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(mock.DemoUsers()) {
		t.Fatalf("%d results", len(results))
	}
	retried := 0
	for k, r := range results {
		if r.Err != nil || r.Status != 200 {
			t.Errorf("%s: %d %v", k, r.Status, r.Err)
		}
		if r.Attempts == 3 {
			retried++
		} else if r.Attempts != 1 {
			t.Errorf("%s: %d attempts", k, r.Attempts)
		}
	}
	if retried != 2 || int(throttles.Load()) != 2*retried {
		t.Errorf("retried %d items, %d throttle notices", retried, throttles.Load())
	}
}

func TestBatchGivesUpAfterMaxAttempts(t *testing.T) {
	c, _ := batchClient(t, func(string, int) bool { return true })
	var res []BatchResult
	err := c.Batch(context.Background(), methodRequests(t, c, 3), BatchOptions{MaxAttempts: 2}, func(r BatchResult) error {
		res = append(res, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		var ge *Error
		if r.Attempts != 2 || !errors.As(r.Err, &ge) || ge.Status != 429 || ge.ExitCode() != 5 {
			t.Errorf("%s: attempts %d err %v", r.Key, r.Attempts, r.Err)
		}
	}
}

func TestBatchInnerErrorsAreTypedAndStopOnCallbackError(t *testing.T) {
	c, _ := batchClient(t, nil)
	var nobody BatchResult
	err := c.Batch(context.Background(), methodRequests(t, c, 2, "nobody@contoso.example"), BatchOptions{Op: "list methods of", Role: RoleReadMethods}, func(r BatchResult) error {
		if r.Key == "nobody@contoso.example" {
			nobody = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ge *Error
	if !errors.As(nobody.Err, &ge) || ge.Status != 404 || ge.ExitCode() != 3 || ge.Code != "Request_ResourceNotFound" {
		t.Errorf("unknown user in a batch: %v", nobody.Err)
	}

	stop := errors.New("enough")
	n := 0
	err = c.Batch(context.Background(), methodRequests(t, c, 100), BatchOptions{Concurrency: 1}, func(r BatchResult) error {
		n++
		if n == 5 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 5 {
		t.Errorf("callback error: %v after %d results", err, n)
	}
}
