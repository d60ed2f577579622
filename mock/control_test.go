package mock

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mfactl/mfactl/mock/store"
)

func TestHealthNeedsNoToken(t *testing.T) {
	s := newServer(t, Options{StatePath: statePath(t)})
	for name, rc := range map[string]rawClient{"in-process": inProcessClient(t, s), "tcp": tcpClient(t, s)} {
		t.Run(name, func(t *testing.T) {
			r := rc.do("GET", "/_mock/health", "", "")
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("status %d, content type %q", r.status, r.header.Get("Content-Type"))
			}
			if r.body["status"] != "ok" || r.body["tenantId"] != DemoTenantID || r.body["domain"] != DemoDomain {
				t.Errorf("health: %v", r.body)
			}
			if int(r.body["users"].(float64)) != len(DemoUsers()) || int(r.body["hardwareTokens"].(float64)) != len(demoTokens) {
				t.Errorf("counts: users %v tokens %v", r.body["users"], r.body["hardwareTokens"])
			}
			if !strings.HasPrefix(r.body["store"].(string), "bbolt ") {
				t.Errorf("store %v", r.body["store"])
			}
			realism := r.body["realism"].(map[string]any)
			if realism["throttle"] != "off" || realism["latency"] != "0s" || realism["failRate"] != 0.0 {
				t.Errorf("realism: %v", realism)
			}
			if r.header.Get("request-id") == "" {
				t.Error("no request-id header")
			}
		})
	}
}

func TestHealthOfAnEmptyState(t *testing.T) {
	s := newServer(t, Options{NoSeed: true})
	r := inProcessClient(t, s).do("GET", "/_mock/health", "", "")
	if r.status != 200 || r.body["status"] != "empty" || r.body["users"] != 0.0 {
		t.Errorf("%d %s", r.status, r.raw)
	}
}

func TestControlEndpointsAuthAndRouting(t *testing.T) {
	s := newServer(t, Options{})
	rc := inProcessClient(t, s)
	tests := []struct {
		method, path, token, body string
		status                    int
		code                      string
	}{
		{"POST", "/_mock/reset", "", "", 401, codeInvalidToken},
		{"POST", "/_mock/reset", "not-a-token", "", 401, codeInvalidToken},
		{"POST", "/_mock/reset", AuthAdminToken, "", 403, codeDenied},
		{"POST", "/_mock/clock", GlobalReaderToken, `{"advance":"1h"}`, 403, codeDenied},
		{"GET", "/_mock/health", "not-a-token", "", 401, codeInvalidToken},
		{"GET", "/_mock/nothing", "", "", 404, codeNotFound},
		{"GET", "/_mock", "", "", 404, codeNotFound},
		{"DELETE", "/_mock/clock", DefaultAdminToken, "", 405, codeBadRequest},
		{"GET", "/_mock/reset", DefaultAdminToken, "", 405, codeBadRequest},
		{"POST", "/_mock/reset", DefaultAdminToken, `{"users":3}`, 400, codeBadBody},
		{"POST", "/_mock/reset", DefaultAdminToken, `{"seed":3}`, 400, codeBadBody},
		{"POST", "/_mock/reset", DefaultAdminToken, `{"users":10,"colour":"red"}`, 400, codeBadBody},
		{"POST", "/_mock/clock", DefaultAdminToken, ``, 400, codeBadBody},
		{"POST", "/_mock/clock", DefaultAdminToken, `{}`, 400, codeBadBody},
		{"POST", "/_mock/clock", DefaultAdminToken, `{"advance":"1h","offsetSeconds":5}`, 400, codeBadBody},
		{"POST", "/_mock/clock", DefaultAdminToken, `{"advance":"soon"}`, 400, codeBadBody},
		{"POST", "/_mock/clock", DefaultAdminToken, `{"offsetSeconds":1e12}`, 400, codeBadBody},
		{"POST", "/_mock/clock", DefaultAdminToken, `{"advance":"1h"} {"advance":"1h"}`, 400, codeBadBody},
		{"GET", "/_mock/clock", "", "", 200, ""},
	}
	for _, tt := range tests {
		r := rc.do(tt.method, tt.path, tt.token, tt.body)
		if r.status != tt.status || r.errorCode() != tt.code {
			t.Errorf("%s %s (token %q, body %q): %d %q, want %d %q (%s)", tt.method, tt.path, tt.token, tt.body, r.status, r.errorCode(), tt.status, tt.code, r.raw)
		}
		if tt.status >= 400 {
			e := r.body["error"].(map[string]any)
			if msg, _ := e["message"].(string); msg == "" || e["innerError"] == nil {
				t.Errorf("%s %s: error envelope incomplete: %s", tt.method, tt.path, r.raw)
			}
		}
	}
	if got := s.ClockOffset(); got != 0 {
		t.Errorf("refused clock changes moved the clock by %s", got)
	}
}

func TestClockOffsetDrivesTAPValidityAndPersists(t *testing.T) {
	path := statePath(t)
	clock := &fakeClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	s, err := NewServer(Options{StatePath: path, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	rc := inProcessClient(t, s)
	tapOf := func(rc rawClient) map[string]any {
		t.Helper()
		r := rc.do("GET", "/v1.0/users/miriam.graham@contoso.example/authentication/temporaryAccessPassMethods", DefaultAdminToken, "")
		if r.status != 200 {
			t.Fatalf("list TAP: %d %s", r.status, r.raw)
		}
		return r.body["value"].([]any)[0].(map[string]any)
	}
	if tap := tapOf(rc); tap["isUsable"] != true {
		t.Fatalf("demo TAP not usable at seed time: %v", tap)
	}
	// The demo pass lives 8 hours (the policy's maximum); 8 days later it has expired.
	r := rc.do("POST", "/_mock/clock", DefaultAdminToken, `{"advance":"1w1d"}`)
	if r.status != 200 || r.body["offsetSeconds"] != float64(8*24*3600) || r.body["offset"] != "+8d" {
		t.Fatalf("advance: %d %s", r.status, r.raw)
	}
	if r.body["now"] != "2025-06-09T12:00:00Z" || r.body["realNow"] != "2025-06-01T12:00:00Z" {
		t.Errorf("clock body: %s", r.raw)
	}
	if tap := tapOf(rc); tap["isUsable"] != false || tap["methodUsabilityReason"] != "Expired" {
		t.Errorf("TAP after 8 days: %v", tap)
	}
	s.Close()

	// A new server on the same state (the next `--mock` run) keeps the offset.
	s2 := newServer(t, Options{StatePath: path, Now: clock.now})
	if s2.ClockOffset() != 8*24*time.Hour {
		t.Fatalf("offset after reopen: %s", s2.ClockOffset())
	}
	rc2 := inProcessClient(t, s2)
	if tap := tapOf(rc2); tap["isUsable"] != false {
		t.Errorf("reopened server forgot the clock: %v", tap)
	}
	r = rc2.do("POST", "/_mock/clock", DefaultAdminToken, `{"offsetSeconds":-3600}`)
	if r.status != 200 || r.body["offset"] != "-1h0m0s" || r.body["now"] != "2025-06-01T11:00:00Z" {
		t.Fatalf("set offset: %d %s", r.status, r.raw)
	}
	if tap := tapOf(rc2); tap["isUsable"] != false || tap["methodUsabilityReason"] != "NotYetValid" {
		t.Errorf("TAP an hour before it starts: %v", tap)
	}
	r = rc2.do("POST", "/_mock/clock", DefaultAdminToken, `{"advance":"-100000w"}`)
	if r.status != 400 || s2.ClockOffset() != -time.Hour {
		t.Errorf("advance beyond a century: %d, offset %s", r.status, s2.ClockOffset())
	}
}

func TestResetRestoresDemoTenantAndClock(t *testing.T) {
	s := newServer(t, Options{StatePath: statePath(t)})
	rc := inProcessClient(t, s)
	rc.do("POST", "/_mock/clock", DefaultAdminToken, `{"advance":"3h"}`)
	// Something another area wrote, in a bucket reset does not know.
	if err := s.store.Update(func(tx store.Tx) error { return tx.Put("verification-outbox", "x", []byte("1")) }); err != nil {
		t.Fatal(err)
	}
	r := rc.do("POST", "/_mock/reset", DefaultAdminToken, `{"users":200,"seed":9}`)
	if r.status != 200 || r.body["users"] != 200.0 || r.body["tenantId"] != SyntheticTenantID(9) || r.body["clockOffsetSeconds"] != 0.0 {
		t.Fatalf("synthetic reset: %d %s", r.status, r.raw)
	}
	if s.ClockOffset() != 0 {
		t.Errorf("clock offset %s after reset", s.ClockOffset())
	}
	// The tokens keep working: their principals exist in every tenant.
	for _, tok := range []string{DefaultAdminToken, AuthAdminToken, GlobalReaderToken, ReportsReaderToken} {
		if r := rc.do("GET", "/v1.0/me", tok, ""); r.status != 200 {
			t.Errorf("GET /me with %s after synthetic reset: %d %s", tok, r.status, r.raw)
		}
	}
	if r := rc.do("GET", "/v1.0/users/adele.vance@contoso.example", DefaultAdminToken, ""); r.status != 404 {
		t.Errorf("demo user still there after synthetic reset: %d", r.status)
	}
	r = rc.do("POST", "/_mock/reset", DefaultAdminToken, "")
	if r.status != 200 || r.body["users"] != float64(len(DemoUsers())) || r.body["seed"] != "demo" {
		t.Fatalf("demo reset: %d %s", r.status, r.raw)
	}
	if r := rc.do("GET", "/v1.0/users/adele.vance@contoso.example", DefaultAdminToken, ""); r.status != 200 {
		t.Errorf("demo user missing after reset: %d", r.status)
	}
	s.store.View(func(tx store.Tx) error {
		if _, ok := tx.Get("verification-outbox", "x"); ok {
			t.Error("reset kept a bucket it did not know about")
		}
		return nil
	})
}

func TestConcurrentClockAdvancesLoseNothing(t *testing.T) {
	s := newServer(t, Options{StatePath: statePath(t)})
	for name, rc := range map[string]rawClient{"in-process": inProcessClient(t, s), "tcp": tcpClient(t, s)} {
		t.Run(name, func(t *testing.T) {
			before := s.ClockOffset()
			const workers, each = 32, 10
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						if r := rc.send("POST", "/_mock/clock", DefaultAdminToken, `{"advance":"1s"}`); r.err != nil || r.status != 200 {
							t.Errorf("advance: %v %d %s", r.err, r.status, r.raw)
						}
					}
				}()
			}
			wg.Wait()
			if got := s.ClockOffset() - before; got != workers*each*time.Second {
				t.Errorf("offset moved %s, want %ds", got, workers*each)
			}
			var stored clockRecord
			s.store.View(func(tx store.Tx) error { _, err := store.GetJSON(tx, bucketMeta, metaClock, &stored); return err })
			if time.Duration(stored.OffsetNanos) != s.ClockOffset() {
				t.Errorf("stored offset %s, served %s", time.Duration(stored.OffsetNanos), s.ClockOffset())
			}
		})
	}
}

func TestParseClockDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"15m", 15 * time.Minute, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"-2h", -2 * time.Hour, ""},
		{"+1d", 24 * time.Hour, ""},
		{"2w3d12h", (17*24 + 12) * time.Hour, ""},
		{"1.5h", 90 * time.Minute, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{" 0 ", 0, ""},
		{"-0", 0, ""},
		{"", 0, "empty duration"},
		{"-", 0, "has no number"},
		{"15", 0, "needs a unit"},
		{"15 m", 0, "unknown unit"},
		{"1y", 0, "unknown unit"},
		{"1h-5m", 0, "unknown unit"},
		{"h", 0, "expected a number"},
		{"1..5h", 0, "is not a number"},
		{"5300w", 0, "longer than a century"},
		{"99999999999999999999999h", 0, "longer than a century"},
	}
	for _, tt := range tests {
		got, err := ParseClockDuration(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseClockDuration(%q) = %v, %v; want error with %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseClockDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatOffset(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "+0s", 15 * time.Minute: "+15m0s", -time.Hour: "-1h0m0s", 48 * time.Hour: "+2d",
		-(49*time.Hour + time.Second): "-2d1h0m1s",
	} {
		if got := FormatOffset(d); got != want {
			t.Errorf("FormatOffset(%s) = %s, want %s", d, got, want)
		}
	}
}

func FuzzParseClockDuration(f *testing.F) {
	for _, s := range []string{"15m", "-1d12h", "2w", "1.5h", "0", "", "1y", "99999999999h", "+.5s", "1e3s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseClockDuration(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
			return
		}
		if d > maxClockOffset || d < -maxClockOffset {
			t.Errorf("%q parsed to %s, beyond the bound", s, d)
		}
		// Wherever Go's parser agrees the input is a duration, the values match.
		if std, err := time.ParseDuration(strings.TrimSpace(s)); err == nil {
			if diff := std - d; diff > time.Microsecond || diff < -time.Microsecond {
				t.Errorf("%q: %s, time.ParseDuration says %s", s, d, std)
			}
		}
	})
}

func FuzzParseClockChange(f *testing.F) {
	for _, s := range []string{`{"advance":"15m"}`, `{"offsetSeconds":3600}`, `{}`, `{"advance":1}`, `[]`, `{"offsetSeconds":1e300}`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		c, err := parseClockChange([]byte(body))
		if err != nil {
			return
		}
		if (c.Advance == nil) == (c.OffsetSeconds == nil) {
			t.Errorf("%q accepted without exactly one change", body)
		}
	})
}

// The README documents the knobs, the control endpoints and the commands.
func TestREADMEDocumentsKnobsAndControl(t *testing.T) {
	b, err := os.ReadFile("../docs/mock.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, want := range []string{EnvLatency, EnvThrottle, EnvFailRate, EnvFailSeed,
		"`GET /_mock/health`", "`POST /_mock/reset`", "`GET /_mock/clock`", "`POST /_mock/clock`",
		"--latency 20ms", "--throttle graph", "--fail-rate 0.02", "--tls-cert-out", "MFACTL_CA_CERT",
		"mfactl mock seed --users 100000 --seed 42", "mock clock advance 8d", "mock reset --users"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README does not mention %s", want)
		}
	}
	// Every registered control endpoint is in the README's table.
	s := newServer(t, Options{})
	for _, r := range s.control.routes {
		row := "`" + r.method + " /_mock/" + strings.Join(r.segments, "/") + "`"
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the endpoint %s", row)
		}
	}
}
