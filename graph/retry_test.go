package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
)

// step is one scripted answer of scriptTransport: a status (with optional
// Retry-After) or an error; block makes the attempt wait for its context.
type step struct {
	status     int
	retryAfter string
	err        error
	block      bool
}

// scriptTransport answers attempts from a script and records what each
// attempt carried.
type scriptTransport struct {
	mu     sync.Mutex
	script []step
	bodies []string
	heads  []http.Header
}

func (s *scriptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	var b []byte
	if req.Body != nil {
		b, _ = io.ReadAll(req.Body)
	}
	s.bodies = append(s.bodies, string(b))
	s.heads = append(s.heads, req.Header.Clone())
	st := step{status: 200}
	if len(s.script) > 0 {
		st, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	if st.block {
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	if st.err != nil {
		return nil, st.err
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if st.retryAfter != "" {
		h.Set("Retry-After", st.retryAfter)
	}
	body := `{"value":[]}`
	if st.status >= 400 {
		body = fmt.Sprintf(`{"error":{"code":"c%d","message":"scripted %d"}}`, st.status, st.status)
	}
	return &http.Response{StatusCode: st.status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

func (s *scriptTransport) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var errReset = &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}

func TestRetryTransport(t *testing.T) {
	const phoneBody = `{"phoneNumber":"+1 4255550100","phoneType":"mobile"}`
	readBatch := `{"requests":[{"id":"1","method":"GET","url":"/users/a"},{"id":"2","method":"GET","url":"/users/b/authentication/methods"}]}`
	writeBatch := `{"requests":[{"id":"1","method":"GET","url":"/users/a"},{"id":"2","method":"POST","url":"/users/a/authentication/phoneMethods","body":{},"headers":{"Content-Type":"application/json"}}]}`
	dialTimeout := &net.OpError{Op: "dial", Net: "tcp", Err: timeoutError{}}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name     string
		method   string
		path     string
		body     string
		script   []step
		status   int  // the final answer's status (0: an error)
		unknown  bool // the error is *OutcomeUnknownError
		attempts int
	}{
		{"read after 500", "GET", "/v1.0/users", "", []step{{status: 500}}, 200, false, 2},
		{"read after 502", "GET", "/v1.0/users", "", []step{{status: 502}}, 200, false, 2},
		{"read after 503 with Retry-After", "GET", "/v1.0/users", "", []step{{status: 503, retryAfter: "0"}}, 200, false, 2},
		{"read after 504", "GET", "/v1.0/users", "", []step{{status: 504}}, 200, false, 2},
		{"read after 429", "GET", "/v1.0/users", "", []step{{status: 429, retryAfter: "0"}}, 200, false, 2},
		{"read after a reset", "GET", "/v1.0/users", "", []step{{err: errReset}}, 200, false, 2},
		{"read after EOF", "GET", "/v1.0/users", "", []step{{err: io.EOF}, {err: io.ErrUnexpectedEOF}}, 200, false, 3},
		{"read after a timed-out attempt", "GET", "/v1.0/users", "", []step{{block: true}}, 200, false, 2},
		{"read not after 400", "GET", "/v1.0/users", "", []step{{status: 400}}, 400, false, 1},
		{"read not after 404", "GET", "/v1.0/users", "", []step{{status: 404}}, 404, false, 1},
		{"read gives up", "GET", "/v1.0/users", "", []step{{status: 500}, {status: 500}, {status: 500}, {status: 500}}, 500, false, 4},
		{"write after 429", "POST", "/v1.0/users/a/authentication/phoneMethods", phoneBody, []step{{status: 429, retryAfter: "0"}, {status: 429, retryAfter: "0"}}, 200, false, 3},
		{"write after a dial timed out", "POST", "/v1.0/users/a/authentication/phoneMethods", phoneBody, []step{{err: dialTimeout}}, 200, false, 2},
		{"read after a dial timed out", "GET", "/v1.0/users", "", []step{{err: dialTimeout}}, 200, false, 2},
		{"read not after a refused connection", "GET", "/v1.0/users", "", []step{{err: refused}}, 0, false, 1},
		{"write not after a refused connection", "POST", "/v1.0/users/a/authentication/phoneMethods", phoneBody, []step{{err: refused}}, 0, false, 1},
		{"read not after an unknown host", "GET", "/v1.0/users", "", []step{{err: &net.DNSError{Err: "no such host", Name: "graph.example", IsNotFound: true}}}, 0, false, 1},
		{"write not after 400", "POST", "/v1.0/users/a/authentication/phoneMethods", phoneBody, []step{{status: 400}}, 400, false, 1},
		{"write unknown after 500", "POST", "/v1.0/users/a/authentication/phoneMethods", phoneBody, []step{{status: 500}}, 0, true, 1},
		{"write unknown after 503", "PATCH", "/beta/users/a/authentication/requirements", `{}`, []step{{status: 503, retryAfter: "0"}}, 0, true, 1},
		{"write unknown after 504", "DELETE", "/v1.0/users/a/authentication/phoneMethods/x", "", []step{{status: 504}}, 0, true, 1},
		{"write unknown after a reset", "POST", "/v1.0/users/a/authentication/phoneMethods", phoneBody, []step{{err: errReset}}, 0, true, 1},
		{"write unknown after EOF", "POST", "/v1.0/users/a/authentication/phoneMethods", phoneBody, []step{{err: io.EOF}}, 0, true, 1},
		{"write unknown after a timed-out attempt", "POST", "/v1.0/users/a/authentication/phoneMethods", phoneBody, []step{{block: true}}, 0, true, 1},
		{"batch of reads after 503", "POST", "/v1.0/$batch", readBatch, []step{{status: 503, retryAfter: "0"}, {err: errReset}}, 200, false, 3},
		{"batch with a write unknown after 504", "POST", "/v1.0/$batch", writeBatch, []step{{status: 504}}, 0, true, 1},
		{"batch with a write unknown after a reset", "POST", "/v1.0/$batch", writeBatch, []step{{err: errReset}}, 0, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &scriptTransport{script: tt.script}
			rt := &retryTransport{next: st, limiter: NewLimiter(),
				policy: retryPolicy{maxRetries: 3, attemptTimeout: 50 * time.Millisecond, backoff: time.Millisecond, jitter: func() float64 { return 0.5 }}}
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, err := http.NewRequestWithContext(context.Background(), tt.method, "https://graph.example"+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := rt.RoundTrip(req)
			if got := st.attempts(); got != tt.attempts {
				t.Errorf("%d attempts, want %d", got, tt.attempts)
			}
			if IsOutcomeUnknown(err) != tt.unknown {
				t.Errorf("error %v: outcome unknown %v, want %v", err, IsOutcomeUnknown(err), tt.unknown)
			}
			switch {
			case tt.status == 0 && err == nil:
				t.Errorf("HTTP %d, want an error", resp.StatusCode)
			case tt.status != 0 && err != nil:
				t.Errorf("error %v, want HTTP %d", err, tt.status)
			case tt.status != 0 && resp.StatusCode != tt.status:
				t.Errorf("HTTP %d, want %d", resp.StatusCode, tt.status)
			}
			// Every attempt carried the whole body, as it is, unencoded.
			for i, b := range st.bodies {
				if b != tt.body {
					t.Errorf("attempt %d carried %q, want %q", i+1, b, tt.body)
				}
				if enc := st.heads[i].Get("Content-Encoding"); enc != "" {
					t.Errorf("attempt %d has Content-Encoding %q", i+1, enc)
				}
			}
		})
	}
}

// TestRetryWaitsAreCounted: a Retry-After the client waits out, and a
// throttled request's wait for its budget, show in the limiter's stats.
func TestRetryWaitsAreCounted(t *testing.T) {
	for _, status := range []int{503, 429} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			st := &scriptTransport{script: []step{{status: status, retryAfter: "0.05"}}}
			lim := NewLimiter()
			rt := &retryTransport{next: st, limiter: lim, policy: retryPolicy{maxRetries: 3, attemptTimeout: time.Second, backoff: time.Millisecond, jitter: func() float64 { return 0 }}}
			req, _ := http.NewRequest("GET", "https://graph.example/v1.0/users", nil)
			resp, err := rt.RoundTrip(req)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%v %v", resp, err)
			}
			if w := lim.Stats().Waited; w < 40*time.Millisecond {
				t.Errorf("waited %v after a Retry-After of 50ms", w)
			}
		})
	}
}

// faultingTransport fails the first attempt of every write: "lost" runs
// it on the mock and then loses the answer (a 504 or a reset, in turn),
// "refused" answers 500 without running it. It counts the writes that
// reached the mock, by method and path.
type faultingTransport struct {
	next    http.RoundTripper
	mode    string
	mu      sync.Mutex
	seen    map[string]bool
	applied map[string]int
	n       int
}

func (f *faultingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !isWrite(req.Method) {
		return f.next.RoundTrip(req)
	}
	key := req.Method + " " + req.URL.Path
	f.mu.Lock()
	first := !f.seen[key]
	f.seen[key] = true
	f.n++
	n := f.n
	if !first || f.mode == "lost" {
		f.applied[key]++
	}
	f.mu.Unlock()
	if !first {
		return f.next.RoundTrip(req)
	}
	fail := func(status int) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
			Body: io.NopCloser(bytes.NewReader([]byte(`{"error":{"code":"UnknownError","message":"injected"}}`)))}
	}
	if f.mode == "refused" {
		return fail(500), nil
	}
	resp, err := f.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if n%2 == 0 {
		return nil, errReset
	}
	return fail(504), nil
}

// TestUnknownWriteOutcomesAreReconciled runs every kind of write with its
// first attempt failed in a way that leaves its outcome unknown. Each
// write reports success, the tenant ends as asked, and a write whose lost
// attempt was applied is not sent again (a Temporary Access Pass and a
// password reset are, by design: their secret is only in the lost answer).
func TestUnknownWriteOutcomesAreReconciled(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"lost", "refused"} {
		t.Run(mode, func(t *testing.T) {
			srv, err := mock.NewServer(mock.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			ft := &faultingTransport{next: srv.Transport(), mode: mode, seen: map[string]bool{}, applied: map[string]int{}}
			c, err := New(Options{Root: mock.InProcessRoot, Credential: StaticToken(mock.DefaultAdminToken), Transport: ft, Backoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			const user = "alex.wilber@contoso.example"
			alex, err := c.GetUser(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			m, err := c.AddPhone(ctx, user, "+1 4255550130", methods.PhoneMobile)
			if err != nil || m.ID != methods.MobilePhoneID || m.PhoneNumber != "+1 4255550130" {
				t.Fatalf("add phone: %+v %v", m, err)
			}
			must := func(what string, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			must("update phone", c.UpdatePhone(ctx, user, "+1 4255550131", methods.PhoneMobile))
			// A new mobile is ready for SMS sign-in where the policy allows it
			// (the mock follows authentication-post-phonemethods.md), so it is
			// turned off first for the enable to change something.
			must("disable SMS sign-in", c.SetSMSSignIn(ctx, user, false))
			must("enable SMS sign-in", c.SetSMSSignIn(ctx, user, true))
			e, err := c.AddEmail(ctx, user, "alex@outlook.example")
			must("add email", err)
			must("update email", c.UpdateEmail(ctx, user, e.ID, "alex2@outlook.example"))
			tap, err := c.CreateTAP(ctx, user, TAPRequest{LifetimeMinutes: 90})
			if err != nil || tap.Pass == "" {
				t.Fatalf("tap: %+v %v", tap, err)
			}
			must("sign-in preferences", c.SetSignInPreferences(ctx, user, methods.SignInPreferences{UserPreferred: methods.DefaultSMS}))
			must("per-user MFA", c.SetMFAState(ctx, user, methods.MFAEnforced))
			must("revoke sessions", c.RevokeSessions(ctx, user))
			must("delete email", c.DeleteMethod(ctx, user, methods.KindEmail, e.ID))
			tok, err := c.CreateHardwareToken(ctx, NewHardwareToken{SerialNumber: "R-1", Manufacturer: "Contoso", Model: "OTP-C200", Secret: seed, TimeIntervalInSeconds: 30})
			must("create token", err)
			if tok.SerialNumber != "R-1" || tok.ID == "" {
				t.Fatalf("created %+v", tok)
			}
			name := "Desk fob"
			must("update token", c.UpdateHardwareToken(ctx, tok.ID, HardwareTokenUpdate{DisplayName: &name}))
			hm, err := c.AssignHardwareToken(ctx, alex.ID, tok.ID)
			must("assign token", err)
			must("unassign token", c.UnassignHardwareToken(ctx, alex.ID, hm.ID))
			must("delete token", c.DeleteHardwareToken(ctx, tok.ID))

			// The tenant is as asked.
			ms, err := c.ListMethods(ctx, user)
			must("list", err)
			var phones, emails, taps int
			for _, m := range ms {
				switch m.Kind {
				case methods.KindPhone:
					phones++
					if m.PhoneNumber != "+1 4255550131" || m.SMSSignInState != "ready" {
						t.Errorf("phone %+v", m)
					}
				case methods.KindEmail:
					emails++
				case methods.KindTemporaryAccess:
					taps++
				}
			}
			if phones != 1 || emails != 0 || taps != 1 {
				t.Errorf("%d phones, %d emails, %d passes", phones, emails, taps)
			}
			if st, _ := c.GetMFAState(ctx, user); st != methods.MFAEnforced {
				t.Errorf("MFA state %s", st)
			}
			if _, err := c.GetHardwareToken(ctx, tok.ID); !IsNotFound(err) {
				t.Errorf("the token is still there: %v", err)
			}
			// No write was applied twice, except the pass (sent again to
			// get a pass that can be handed out).
			for key, n := range ft.applied {
				want := 1
				if mode == "lost" && strings.HasSuffix(key, "/temporaryAccessPassMethods") {
					want = 2
				}
				if n != want {
					t.Errorf("%s applied %d times, want %d", key, n, want)
				}
			}
			if len(ft.applied) < 15 {
				t.Errorf("only %d distinct writes: %v", len(ft.applied), ft.applied)
			}
		})
	}
}

// loseFirstBatch runs the first $batch on the mock and loses its answer
// (504), as a gateway that gave up on a batch that ran.
type loseFirstBatch struct {
	next http.RoundTripper
	mu   sync.Mutex
	lost bool
	sent int
}

func (l *loseFirstBatch) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, "/$batch") {
		return l.next.RoundTrip(req)
	}
	l.mu.Lock()
	l.sent++
	lose := !l.lost
	l.lost = true
	l.mu.Unlock()
	resp, err := l.next.RoundTrip(req)
	if err != nil || !lose {
		return resp, err
	}
	resp.Body.Close()
	return &http.Response{StatusCode: 504, Header: http.Header{"Content-Type": {"application/json"}}, Request: req,
		Body: io.NopCloser(strings.NewReader(`{"error":{"code":"UnknownError","message":"gateway timeout (test)"}}`))}, nil
}

// TestBatchSettlesALostAnswer: a $batch of reads and writes whose answer
// was lost sends its reads again, settles a write with a Reconcile by its
// re-read (applied: not sent again), and reports a write without one as
// of unknown outcome.
func TestBatchSettlesALostAnswer(t *testing.T) {
	ctx := context.Background()
	srv, err := mock.NewServer(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	lt := &loseFirstBatch{next: srv.Transport()}
	c, err := New(Options{Root: mock.InProcessRoot, Credential: StaticToken(mock.DefaultAdminToken), Transport: lt, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	settled, err := c.CreateHardwareTokenItem("settled", NewHardwareToken{SerialNumber: "B-1", Manufacturer: "Contoso", Model: "OTP-C200", Secret: seed, TimeIntervalInSeconds: 30})
	if err != nil {
		t.Fatal(err)
	}
	bare, err := c.CreateHardwareTokenRequest(NewHardwareToken{SerialNumber: "B-2", Manufacturer: "Contoso", Model: "OTP-C200", Secret: seed, TimeIntervalInSeconds: 30})
	if err != nil {
		t.Fatal(err)
	}
	items := []BatchItem{{Key: "read", Request: c.UserRequest("adele.vance@contoso.example")}, settled, {Key: "bare", Request: bare}}
	got := map[string]BatchResult{}
	err = c.Batch(ctx, func(yield func(BatchItem) bool) {
		for _, it := range items {
			if !yield(it) {
				return
			}
		}
	}, BatchOptions{Beta: true, Op: "test"}, func(r BatchResult) error { got[r.Key] = r; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if r := got["read"]; r.Err != nil || r.Status != 200 || r.Attempts != 2 {
		t.Errorf("read: %+v", r)
	}
	if r := got["settled"]; r.Err != nil || !r.Reconciled || r.Attempts != 1 || !strings.Contains(string(r.Body), `"B-1"`) {
		t.Errorf("settled write: %+v %s", r, r.Body)
	}
	if r := got["bare"]; !IsOutcomeUnknown(r.Err) {
		t.Errorf("write without a re-read: %+v", r)
	}
	for _, serial := range []string{"B-1", "B-2"} {
		n := 0
		if err := c.ListHardwareTokens(ctx, HardwareTokenFilter{SerialNumber: serial}, func(methods.HardwareToken) bool { n++; return true }); err != nil || n != 1 {
			t.Errorf("%s: %d in the inventory, %v", serial, n, err)
		}
	}
	if lt.sent != 2 {
		t.Errorf("%d batches sent, want 2 (the lost one, then its read)", lt.sent)
	}
}
