package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
)

// The parts of batchRun, each on its own, without a server.

// testRun is a batchRun over a client with a fixed back-off (no jitter)
// and no limiter; its results are recorded in order.
type testRun struct {
	*batchRun
	mu      sync.Mutex
	results []BatchResult
}

func newTestRun(t *testing.T, opts BatchOptions) *testRun {
	t.Helper()
	c := &Client{retry: retryPolicy{maxRetries: 3, backoff: 100 * time.Millisecond, jitter: func() float64 { return 0 }}}
	tr := &testRun{}
	tr.batchRun = c.newBatchRun(context.Background(), opts, func(r BatchResult) error {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		tr.results = append(tr.results, r)
		return nil
	})
	t.Cleanup(func() { tr.cancel(nil) })
	return tr
}

func (tr *testRun) keys() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []string
	for _, r := range tr.results {
		out = append(out, r.Key)
	}
	return out
}

// testStep is a batchStep for a GET (or, with write, a POST) of key.
func testStep(key string, write bool, attempts int) batchStep {
	ri := abs.NewRequestInformation()
	ri.Method = abs.GET
	if write {
		ri.Method = abs.POST
	}
	ri.UrlTemplate = "{+baseurl}/users/" + key
	ri.PathParameters["baseurl"] = "https://graph.microsoft.com/v1.0"
	p := newBatchStep(BatchItem{Key: key, Request: ri})
	p.attempts = attempts
	return p
}

func TestNewBatchStepDescribesTheItem(t *testing.T) {
	for _, tt := range []struct {
		write  bool
		method string
	}{{false, "GET"}, {true, "POST"}} {
		p := testStep("adele", tt.write, 0)
		if p.write != tt.write || p.method != tt.method || p.url != "https://graph.microsoft.com/v1.0/users/adele" || p.cost < 1 {
			t.Errorf("%s step: %+v", tt.method, p)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		write     bool
		status    int
		attempts  int
		stopping  bool
		want      stepVerdict
		situation string
	}{
		{false, 200, 1, false, stepDone, "a read that worked"},
		{true, 201, 1, false, stepDone, "a write that worked"},
		{true, 204, 1, false, stepDone, "a delete that worked"},
		{false, 404, 1, false, stepDone, "a read of nothing"},
		{true, 400, 1, false, stepDone, "a write refused"},
		{true, 409, 1, false, stepDone, "a write in conflict"},
		{false, 429, 1, false, stepAgain, "a throttled read"},
		{true, 429, 1, false, stepAgain, "a throttled write: 429 means not applied"},
		{false, 429, 3, false, stepDone, "a throttled read out of attempts"},
		{true, 429, 3, false, stepDone, "a throttled write out of attempts"},
		{false, 500, 1, false, stepAgain, "a read's 500"},
		{false, 502, 2, false, stepAgain, "a read's 502"},
		{false, 503, 1, false, stepAgain, "a read's 503"},
		{false, 504, 1, false, stepAgain, "a read's 504"},
		{false, 501, 1, false, stepDone, "501 is not transient"},
		{false, 503, 3, false, stepDone, "a read's 503 out of attempts"},
		{true, 500, 1, false, stepUnknown, "a write's 500 may have been applied"},
		{true, 503, 3, false, stepUnknown, "a write's 503 out of attempts is still unknown"},
		{true, 501, 1, false, stepUnknown, "every 5xx leaves a write unknown"},
		{false, 429, 1, true, stepDone, "a stopping run sends nothing again"},
		{true, 503, 1, true, stepDone, "a stopping run re-reads nothing"},
	}
	for _, tt := range tests {
		if got := classify(tt.write, tt.status, tt.attempts, 3, tt.stopping); got != tt.want {
			t.Errorf("%s (write %v, %d, attempt %d): %d, want %d", tt.situation, tt.write, tt.status, tt.attempts, got, tt.want)
		}
	}
}

func TestPlanRetry(t *testing.T) {
	policy := retryPolicy{backoff: 100 * time.Millisecond, jitter: func() float64 { return 0 }}
	half := retryPolicy{backoff: 100 * time.Millisecond, jitter: func() float64 { return 0.5 }}
	tests := []struct {
		policy          retryPolicy
		attempts, limit int
		retryAfter      time.Duration
		wait            time.Duration
		ok              bool
	}{
		{policy, 1, 4, 0, 50 * time.Millisecond, true},  // half the first back-off
		{policy, 2, 4, 0, 100 * time.Millisecond, true}, // doubling
		{policy, 3, 4, 0, 200 * time.Millisecond, true},
		{half, 1, 4, 0, 75 * time.Millisecond, true}, // jitter adds up to the other half
		{policy, 12, 20, 0, maxBackoff / 2, true},    // capped
		{policy, 1, 4, 3 * time.Second, 3 * time.Second, true},
		{policy, 2, 4, 10 * time.Minute, maxRetryAfter, true}, // the server's word, capped
		{policy, 4, 4, 0, 0, false},                           // out of attempts
		{policy, 5, 4, time.Second, 0, false},
	}
	for _, tt := range tests {
		wait, ok := planRetry(tt.policy, tt.attempts, tt.limit, tt.retryAfter)
		if wait != tt.wait || ok != tt.ok {
			t.Errorf("attempt %d of %d, Retry-After %v: %v %v, want %v %v", tt.attempts, tt.limit, tt.retryAfter, wait, ok, tt.wait, tt.ok)
		}
	}
}

func TestLatestNotAfter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fresh, soon, later := testStep("a", false, 0), testStep("b", false, 1), testStep("c", false, 1)
	soon.notAfter, later.notAfter = t0.Add(time.Second), t0.Add(3*time.Second)
	tests := []struct {
		group []batchStep
		want  time.Time
	}{
		{nil, time.Time{}},
		{[]batchStep{fresh}, time.Time{}},
		{[]batchStep{fresh, later, soon}, t0.Add(3 * time.Second)},
		{[]batchStep{soon, fresh}, t0.Add(time.Second)},
	}
	for i, tt := range tests {
		if got := latestNotAfter(tt.group); !got.Equal(tt.want) {
			t.Errorf("%d: %v, want %v", i, got, tt.want)
		}
	}
}

func TestCollectMatchesAnswersInAnyOrder(t *testing.T) {
	sent := []sentStep{{"1", testStep("a", false, 1)}, {"2", testStep("b", false, 1)}, {"3", testStep("c", true, 1)}}
	answer := func(id string, status int) stepAnswer { return stepAnswer{id: id, status: status} }
	tests := []struct {
		name     string
		answers  []stepAnswer
		answered string // key:status in the order settled
		missing  string
	}{
		{"in order", []stepAnswer{answer("1", 200), answer("2", 404), answer("3", 201)}, "a:200 b:404 c:201", ""},
		{"shuffled", []stepAnswer{answer("3", 201), answer("1", 200), answer("2", 429)}, "c:201 a:200 b:429", ""},
		{"a second answer for an id is ignored", []stepAnswer{answer("2", 200), answer("2", 500), answer("1", 200), answer("3", 204)}, "b:200 a:200 c:204", ""},
		{"an id not sent is ignored", []stepAnswer{answer("9", 200), answer("1", 200), answer("2", 200), answer("3", 200)}, "a:200 b:200 c:200", ""},
		{"missing answers, in the order sent", []stepAnswer{answer("2", 200)}, "b:200", "a c"},
		{"no answers", nil, "", "a b c"},
	}
	for _, tt := range tests {
		answered, missing := collect(sent, tt.answers)
		var got, miss []string
		for _, a := range answered {
			got = append(got, fmt.Sprintf("%s:%d", a.step.item.Key, a.answer.status))
		}
		for _, p := range missing {
			miss = append(miss, p.item.Key)
		}
		if strings.Join(got, " ") != tt.answered || strings.Join(miss, " ") != tt.missing {
			t.Errorf("%s: answered %q missing %q, want %q and %q", tt.name, got, miss, tt.answered, tt.missing)
		}
	}
}

func TestSettleAnswer(t *testing.T) {
	notFound := []byte(`{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist."}}`)
	busy := []byte(`{"error":{"code":"serviceNotAvailable","message":"Service unavailable."}}`)
	tests := []struct {
		name      string
		write     bool
		attempts  int
		answer    stepAnswer
		reconcile func(context.Context) ([]byte, bool, error)
		// want: "result <status>", "result error <status> <code>",
		// "again <wait>", or "reconciled"
		want     string
		throttle time.Duration // told to OnThrottle; -1 when not called
	}{
		{"a read that worked", false, 1, stepAnswer{status: 200, body: []byte(`{"value":[]}`)}, nil, "result 200", -1},
		{"a read of nothing", false, 1, stepAnswer{status: 404, body: notFound}, nil, "result error 404 Request_ResourceNotFound", -1},
		{"a throttled read with Retry-After", false, 1, stepAnswer{status: 429, headers: map[string]string{"retry-after": "3"}}, nil, "again 3s", 3 * time.Second},
		{"a throttled read without Retry-After", false, 1, stepAnswer{status: 429}, nil, "again 50ms", time.Second},
		{"a throttled read out of attempts", false, 3, stepAnswer{status: 429, headers: map[string]string{"Retry-After": "3"}}, nil, "result error 429 ", 3 * time.Second},
		{"a read's 503 backs off", false, 2, stepAnswer{status: 503, body: busy}, nil, "again 100ms", -1},
		{"a write's 503 is re-read: applied", true, 1, stepAnswer{status: 503, body: busy},
			func(context.Context) ([]byte, bool, error) { return []byte(`{"id":"m1"}`), true, nil }, "reconciled", -1},
		{"a write's 503 is re-read: not applied, sent again", true, 1, stepAnswer{status: 503, body: busy},
			func(context.Context) ([]byte, bool, error) { return nil, false, nil }, "again 50ms", -1},
		{"a write's 503 without Reconcile stays unknown", true, 1, stepAnswer{status: 503, body: busy}, nil, "result error 503 unknown", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			told := time.Duration(-1)
			tr := newTestRun(t, BatchOptions{MaxAttempts: 3, Op: "read", OnThrottle: func(d time.Duration) { told = d }})
			p := testStep("k", tt.write, tt.attempts)
			p.item.Reconcile = tt.reconcile
			tr.pending.add()
			before := time.Now()
			tr.settleAnswer(p, tt.answer)
			after := time.Now()
			if told != tt.throttle {
				t.Errorf("OnThrottle told %v, want %v", told, tt.throttle)
			}
			queued := tr.retries.take()
			var got string
			switch {
			case len(queued) == 1 && len(tr.results) == 0:
				q := queued[0]
				wait := strings.TrimPrefix(tt.want, "again ")
				d, _ := time.ParseDuration(wait)
				if q.notAfter.Before(before.Add(d)) || q.notAfter.After(after.Add(d)) {
					t.Errorf("sent again not before %v, want %v after the answer", q.notAfter.Sub(before), d)
				}
				got = "again " + wait
			case len(queued) == 0 && len(tr.results) == 1:
				r := tr.results[0]
				var ge *Error
				switch {
				case r.Reconciled && r.Err == nil && r.Status == 200 && string(r.Body) == `{"id":"m1"}`:
					got = "reconciled"
				case r.Err == nil:
					got = fmt.Sprintf("result %d", r.Status)
				case IsOutcomeUnknown(r.Err):
					got = fmt.Sprintf("result error %d unknown", r.Status)
				case errors.As(r.Err, &ge):
					got = fmt.Sprintf("result error %d %s", ge.Status, strings.TrimSuffix(ge.Code, "TooManyRequests"))
				default:
					got = "result error " + r.Err.Error()
				}
				if r.Attempts != tt.attempts {
					t.Errorf("result after %d attempts, want %d", r.Attempts, tt.attempts)
				}
			default:
				t.Fatalf("%d queued, %d results", len(queued), len(tr.results))
			}
			if got != tt.want {
				t.Errorf("%s, want %s", got, tt.want)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	lost := errors.New("connection reset")
	tests := []struct {
		name      string
		attempts  int
		cause     OutcomeUnknownError
		reconcile func(context.Context) ([]byte, bool, error)
		want      string // "again", or a part of the result's error ("" for success)
		status    int
	}{
		{"without Reconcile the outcome stays unknown", 1, OutcomeUnknownError{Status: 504}, nil, "unknown: HTTP 504", 504},
		{"a failed re-read leaves it unknown", 1, OutcomeUnknownError{Status: 500},
			func(context.Context) ([]byte, bool, error) { return nil, false, lost }, "unknown: re-reading to learn whether it was applied failed: connection reset", 500},
		{"applied", 2, OutcomeUnknownError{Err: lost},
			func(context.Context) ([]byte, bool, error) { return []byte(`{}`), true, nil }, "", 200},
		{"not applied, attempts left: sent again", 2, OutcomeUnknownError{Status: 503},
			func(context.Context) ([]byte, bool, error) { return nil, false, nil }, "again", 0},
		{"not applied, out of attempts", 3, OutcomeUnknownError{Status: 503, Code: "serviceNotAvailable"},
			func(context.Context) ([]byte, bool, error) { return nil, false, nil }, "not applied after 3 attempts (the last answered HTTP 503)", 503},
		{"not applied after a lost $batch, out of attempts", 3, OutcomeUnknownError{Err: lost},
			func(context.Context) ([]byte, bool, error) { return nil, false, nil }, "not applied after 3 attempts (the last answered connection reset)", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := newTestRun(t, BatchOptions{MaxAttempts: 3, Op: "add"})
			p := testStep("k", true, tt.attempts)
			p.item.Reconcile = tt.reconcile
			tr.pending.add()
			cause := tt.cause
			tr.reconcile(p, &cause)
			queued := tr.retries.take()
			if tt.want == "again" {
				if len(queued) != 1 || len(tr.results) != 0 || queued[0].attempts != tt.attempts {
					t.Fatalf("%d queued, %d results; want the step sent again", len(queued), len(tr.results))
				}
				return
			}
			if len(queued) != 0 || len(tr.results) != 1 {
				t.Fatalf("%d queued, %d results; want one result", len(queued), len(tr.results))
			}
			r := tr.results[0]
			if r.Status != tt.status || r.Attempts != tt.attempts {
				t.Errorf("status %d after %d attempts, want %d after %d", r.Status, r.Attempts, tt.status, tt.attempts)
			}
			var ou *OutcomeUnknownError
			switch {
			case tt.want == "" && (r.Err != nil || !r.Reconciled):
				t.Errorf("err %v reconciled %v, want success", r.Err, r.Reconciled)
			case strings.HasPrefix(tt.want, "unknown: "):
				// The result is the unknown outcome, with its cause.
				if !errors.As(r.Err, &ou) || !strings.Contains(ou.Error()+": "+fmt.Sprint(ou.Err), strings.TrimPrefix(tt.want, "unknown: ")) {
					t.Errorf("err %v, want an unknown outcome saying %q", r.Err, tt.want)
				}
			case tt.want != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tt.want)):
				t.Errorf("err %v, want it to say %q", r.Err, tt.want)
			}
			if strings.HasPrefix(tt.want, "not applied") && IsOutcomeUnknown(r.Err) {
				t.Errorf("a write known not to be applied is reported unknown: %v", r.Err)
			}
		})
	}
}

// TestSplitGroupsItemsAndRetries: fresh items go out in groups of Size, in
// order; a step sent again goes out in a later group (when exactly depends
// on the worker's pace, so only that is checked), and split ends once every
// item has a result.
func TestSplitGroupsItemsAndRetries(t *testing.T) {
	tests := []struct {
		items, size int
		again       string // a key whose first group sends it again once
		want        string // the groups, when nothing is sent again
	}{
		{1, 20, "", "[0]"},
		{5, 2, "", "[0 1] [2 3] [4]"},
		{6, 3, "", "[0 1 2] [3 4 5]"},
		{20, 20, "", "[0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19]"},
		{3, 20, "1", ""},
		{5, 2, "0", ""},
		{7, 3, "6", ""},
	}
	for _, tt := range tests {
		tr := newTestRun(t, BatchOptions{Size: tt.size, Concurrency: 1})
		var groups [][]string
		var worker sync.WaitGroup
		worker.Go(func() {
			for group := range tr.batches {
				var keys []string
				for _, p := range group {
					keys = append(keys, p.item.Key)
					p.attempts++
					if p.item.Key == tt.again && p.attempts == 1 {
						tr.retries.push(p)
						continue
					}
					tr.settle(BatchResult{Key: p.item.Key, Attempts: p.attempts})
				}
				groups = append(groups, keys)
			}
		})
		items := func(yield func(BatchItem) bool) {
			for i := range tt.items {
				if !yield(testStep(fmt.Sprint(i), false, 0).item) {
					return
				}
			}
		}
		err := tr.split(items)
		close(tr.batches)
		worker.Wait()
		if err != nil {
			t.Fatal(err)
		}
		var printed []string
		var fresh []string
		first, second := -1, -1
		for g, keys := range groups {
			printed = append(printed, "["+strings.Join(keys, " ")+"]")
			if len(keys) > tt.size {
				t.Errorf("a group of %d, more than %d", len(keys), tt.size)
			}
			for _, k := range keys {
				switch {
				case k == tt.again && first < 0:
					first = g
				case k == tt.again:
					second = g
					continue
				}
				fresh = append(fresh, k)
			}
		}
		got := strings.Join(printed, " ")
		if tt.again == "" && got != tt.want {
			t.Errorf("%d items by %d: groups %s, want %s", tt.items, tt.size, got, tt.want)
		}
		if tt.again != "" && (first < 0 || second <= first) {
			t.Errorf("%d items by %d, %s sent again: groups %s", tt.items, tt.size, tt.again, got)
		}
		for i, k := range fresh {
			if k != fmt.Sprint(i) {
				t.Errorf("fresh items out of order: groups %s", got)
				break
			}
		}
		keys := tr.keys()
		slices.Sort(keys)
		if len(keys) != tt.items || len(slices.Compact(keys)) != tt.items {
			t.Errorf("results %q, want each of %d items once", keys, tt.items)
		}
	}
}

func TestSplitRefusesAnItemWithoutARequest(t *testing.T) {
	tr := newTestRun(t, BatchOptions{})
	go func() {
		for range tr.batches {
		}
	}()
	err := tr.split(func(yield func(BatchItem) bool) { yield(BatchItem{Key: "bare"}) })
	close(tr.batches)
	if err == nil || !strings.Contains(err.Error(), "batch item bare has no request") {
		t.Errorf("err %v", err)
	}
}

// TestLostBatch: a $batch without an answer sends its reads again and
// re-reads its writes; any other failure is every step's result.
func TestLostBatch(t *testing.T) {
	applied := func(context.Context) ([]byte, bool, error) { return []byte(`{}`), true, nil }
	tests := []struct {
		name string
		err  error
		want string // per step: again, reconciled, or failed
	}{
		{"no answer", &OutcomeUnknownError{Method: "POST", URL: "/$batch", Err: errors.New("EOF")}, "read:again write:reconciled"},
		{"a 502 for the $batch", fmt.Errorf("send: %w", &OutcomeUnknownError{Status: http.StatusBadGateway}), "read:again write:reconciled"},
		{"a refused $batch", errors.New("400 Bad Request"), "read:failed write:failed"},
	}
	for _, tt := range tests {
		tr := newTestRun(t, BatchOptions{MaxAttempts: 3, Op: "add"})
		w := testStep("write", true, 1)
		w.item.Reconcile = applied
		tr.pending.add()
		tr.pending.add()
		tr.lost([]sentStep{{"1", testStep("read", false, 1)}, {"2", w}}, tt.err)
		got := map[string]string{}
		for _, p := range tr.retries.take() {
			got[p.item.Key] = "again"
		}
		for _, r := range tr.results {
			switch {
			case r.Reconciled:
				got[r.Key] = "reconciled"
			case r.Err != nil:
				got[r.Key] = "failed"
			}
		}
		if s := "read:" + got["read"] + " write:" + got["write"]; s != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, s, tt.want)
		}
	}
}
