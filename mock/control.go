package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/mfactl/mfactl/internal/emulatorapi"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mfactl/mfactl/mock/store"
)

// The emulator's own endpoints live under /_mock/, beside /v1.0 and /beta.
// They are not Graph: tests and the verification engine use them to look
// at and steer the emulated tenant (health, reset, the clock, and later the
// outbox of emulated SMS and calls, the push device, unblocking). Bodies are
// JSON and errors use Graph's error envelope, so any Graph client's error
// handling reads them. The realism knobs never apply here.
//
// To add an endpoint, register it in controlRoutes with one line: c.public
// for what anyone may read (no token), c.admin for what needs the admin
// token. Handlers are ordinary handlerFuncs.
const controlSegment = "_mock"

// controlRoutes lists the /_mock/ endpoints; patterns are relative to /_mock.
func (s *Server) controlRoutes(c *controlRouter) {
	c.public("GET", "/health", s.mockHealth)
	c.admin("POST", "/reset", s.mockReset)
	c.public("GET", "/clock", s.mockClock)
	c.admin("POST", "/clock", s.mockSetClock)
	c.admin("POST", "/tokens/{serial}/resync", s.resyncToken)
	c.admin("GET", "/tokens/{serial}/code", s.tokenCode)
	s.verifyRoutes(c)
	s.authenticatorRoutes(c)
	c.admin("POST", "/signin/approve", s.approveSignIn)
}

// controlRouter registers /_mock/ endpoints with their access rule.
type controlRouter struct{ rt *router }

// public registers an endpoint that needs no token.
func (c *controlRouter) public(method, pattern string, h handlerFunc) { c.rt.add(method, pattern, h) }

// admin registers an endpoint only the admin token may call.
func (c *controlRouter) admin(method, pattern string, h handlerFunc) {
	c.rt.add(method, pattern, func(r *request) (*response, error) {
		if r.caller == nil {
			return nil, newError(http.StatusUnauthorized, codeInvalidToken, "Access token is empty: the emulator's %s /_mock%s needs the admin token.", method, pattern)
		}
		if !r.caller.has(RolePrivilegedAuthAdmin) {
			return nil, newError(http.StatusForbidden, codeDenied, "Insufficient privileges to complete the operation: %s /_mock%s needs the admin token.", method, pattern)
		}
		return h(r)
	})
}

func (s *Server) buildControlRoutes() *router {
	rt := &router{}
	s.controlRoutes(&controlRouter{rt: rt})
	return rt
}

// dispatchControl serves /_mock/...: the token is optional here (public
// endpoints need none), but a token that is sent must be valid.
func (s *Server) dispatchControl(r *request, segs []string) (*response, error) {
	if auth := r.http.Header.Get("Authorization"); auth != "" {
		p, ok := s.tokens.lookup(auth)
		if !ok {
			return nil, newError(http.StatusUnauthorized, codeInvalidToken, "Access token validation failure. Invalid audience.")
		}
		r.caller = p
	}
	if err := r.readBody(); err != nil {
		return nil, err
	}
	h, params, pathExists, _ := s.control.match(r.http.Method, "", segs)
	if h == nil {
		if pathExists {
			return nil, newError(http.StatusMethodNotAllowed, codeBadRequest, "%s is not allowed on /_mock/%s.", r.http.Method, strings.Join(segs, "/"))
		}
		return nil, errNotFound("The emulator has no endpoint /_mock/%s (known: %s).", strings.Join(segs, "/"), s.controlPaths())
	}
	r.params = params
	return h(r)
}

// controlPaths lists the control endpoints for error messages.
func (s *Server) controlPaths() string {
	var paths []string
	for _, r := range s.control.routes {
		p := strings.Join(r.segments, "/")
		if !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	return strings.Join(paths, ", ")
}

// emulator is the server's emulator state. The clock offset is kept in the
// store (so `--mock` runs, which open the store per command, see it) and
// cached here, because s.now() runs inside store transactions and must not
// open another one.
type emulator struct {
	started time.Time
	// clockMu orders clock writes with the cache update that follows
	// their commit, so the cache never ends on an older offset.
	clockMu     sync.Mutex
	offsetNanos atomic.Int64
	users       atomic.Int64  // tenant size for the throttling budgets
	tenantID    atomic.Value  // string, for x-ms-throttle-scope
	realism     *realismState // nil when every knob is off
}

// metaClock is the key of the clock offset in bucketMeta.
const metaClock = "clock"

type clockRecord struct {
	OffsetNanos int64 `json:"offsetNanos"`
}

// maxClockOffset bounds the emulated clock to a century either way, far
// from time.Duration's limits.
const maxClockOffset = 100 * 365 * 24 * time.Hour

func (s *Server) startEmulator() error {
	s.emu.started = time.Now()
	rs, err := newRealismState(s.opts.Realism, s.opts.Now)
	if err != nil {
		return err
	}
	s.emu.realism = rs
	return s.loadEmulatorState()
}

// loadEmulatorState reads the clock offset, tenant id and size from the
// store: at start and after a reset.
func (s *Server) loadEmulatorState() error {
	return s.store.View(func(tx store.Tx) error {
		var c clockRecord
		if _, err := store.GetJSON(tx, bucketMeta, metaClock, &c); err != nil {
			return err
		}
		s.emu.offsetNanos.Store(c.OffsetNanos)
		s.emu.users.Store(int64(tx.Count(bucketUsers)))
		id := ""
		if t, err := getTenant(tx); err == nil {
			id = t.ID
		}
		s.emu.tenantID.Store(id)
		return nil
	})
}

func (s *Server) clockOffset() time.Duration { return time.Duration(s.emu.offsetNanos.Load()) }

// ClockOffset is how far the emulated clock runs ahead of the real one.
func (s *Server) ClockOffset() time.Duration { return s.clockOffset() }

// Health is the body of GET /_mock/health.
type Health = emulatorapi.Health

func (s *Server) health() (*Health, error) {
	h := &Health{Status: "ok", Store: "memory", StartedAt: s.emu.started.UTC(),
		UptimeSeconds: int64(time.Since(s.emu.started) / time.Second), Now: s.now().UTC(),
		ClockOffsetSeconds: s.clockOffset().Seconds(), Realism: s.Realism()}
	if b, ok := s.store.(interface{ Path() string }); ok {
		h.Store = "bbolt " + b.Path()
	}
	err := s.store.View(func(tx store.Tx) error {
		h.Users, h.HardwareTokens = tx.Count(bucketUsers), tx.Count(bucketTokens)
		if _, ok := tx.Get(bucketMeta, metaTenant); !ok {
			h.Status = "empty" // Options.NoSeed: nothing seeded yet
			return nil
		}
		t, err := getTenant(tx)
		if err != nil {
			return err
		}
		h.TenantID, h.Domain, h.DisplayName, h.Seed = t.ID, t.Domain, t.DisplayName, t.Seed
		return nil
	})
	return h, err
}

func (s *Server) mockHealth(*request) (*response, error) {
	h, err := s.health()
	if err != nil {
		return nil, err
	}
	return ok(h)
}

// resetBody is the body of POST /_mock/reset: empty for the demo tenant,
// or users and seed for a synthetic one.
type resetBody struct {
	Users *int   `json:"users"`
	Seed  *int64 `json:"seed"`
}

// mockReset replaces the whole state, clock included, with the demo tenant
// or a synthetic one, in one transaction.
func (s *Server) mockReset(r *request) (*response, error) {
	var body resetBody
	if len(bytes.TrimSpace(r.body)) > 0 {
		if err := r.decode(&body); err != nil {
			return nil, err
		}
	}
	if body.Users == nil && body.Seed != nil {
		return nil, errBadRequest(codeBadBody, "seed needs users: send {\"users\":N,\"seed\":S} for a synthetic tenant, or no body for the demo tenant.")
	}
	var synth *SynthOptions
	if body.Users != nil {
		synth = &SynthOptions{Users: *body.Users, Seed: 1, Day: s.opts.Now()}
		if body.Seed != nil {
			synth.Seed = *body.Seed
		}
		if err := synth.Validate(); err != nil {
			return nil, errBadRequest(codeBadBody, "%s", capitalise(err.Error()))
		}
	}
	err := s.store.Update(func(tx store.Tx) error {
		if err := clearState(tx); err != nil {
			return err
		}
		if synth != nil {
			_, err := seedSynthetic(tx, *synth)
			return err
		}
		return seedDemo(tx, s.opts.Now())
	})
	if err != nil {
		return nil, err
	}
	if err := s.loadEmulatorState(); err != nil {
		return nil, err
	}
	return s.mockHealth(r)
}

// Clock is the body of GET and POST /_mock/clock.
type Clock = emulatorapi.Clock

func (s *Server) clock() *Clock {
	real := s.opts.Now()
	off := s.clockOffset()
	return &Clock{Now: real.Add(off).UTC(), RealNow: real.UTC(), OffsetSeconds: off.Seconds(), Offset: FormatOffset(off)}
}

func (s *Server) mockClock(*request) (*response, error) { return ok(s.clock()) }

// clockChange is the body of POST /_mock/clock: exactly one of an absolute
// offset in seconds or a duration to advance by ("15m", "1d", "-2h").
type clockChange struct {
	OffsetSeconds *float64 `json:"offsetSeconds"`
	Advance       *string  `json:"advance"`
}

// parseClockChange validates a clock change and says how to fix a bad one.
func parseClockChange(body []byte) (clockChange, error) {
	var c clockChange
	if len(bytes.TrimSpace(body)) == 0 {
		return c, fmt.Errorf("the body must be {\"offsetSeconds\":N} or {\"advance\":\"15m\"}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("the body must be {\"offsetSeconds\":N} or {\"advance\":\"15m\"}: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return c, fmt.Errorf("the body must hold one JSON object")
	}
	switch {
	case (c.OffsetSeconds == nil) == (c.Advance == nil):
		return c, fmt.Errorf("send exactly one of offsetSeconds (absolute) and advance (relative)")
	case c.OffsetSeconds != nil:
		v := *c.OffsetSeconds
		if math.IsNaN(v) || math.Abs(v) > maxClockOffset.Seconds() {
			return c, fmt.Errorf("offsetSeconds must be within ±%.0f (a century)", maxClockOffset.Seconds())
		}
	default:
		if _, err := ParseClockDuration(*c.Advance); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (s *Server) mockSetClock(r *request) (*response, error) {
	change, err := parseClockChange(r.body)
	if err != nil {
		return nil, errBadRequest(codeBadBody, "%s", capitalise(err.Error()))
	}
	var next time.Duration
	s.emu.clockMu.Lock()
	defer s.emu.clockMu.Unlock()
	err = s.store.Update(func(tx store.Tx) error {
		var c clockRecord
		if _, err := store.GetJSON(tx, bucketMeta, metaClock, &c); err != nil {
			return err
		}
		// Read-modify-write in one transaction: concurrent advances, from
		// goroutines or other processes, never lose one another.
		if change.OffsetSeconds != nil {
			next = time.Duration(math.Round(*change.OffsetSeconds * float64(time.Second)))
		} else {
			d, _ := ParseClockDuration(*change.Advance)
			next = time.Duration(c.OffsetNanos) + d
		}
		if next > maxClockOffset || next < -maxClockOffset {
			return errBadRequest(codeBadBody, "The clock offset would be %s, beyond a century; reset the clock first.", FormatOffset(next))
		}
		if err := store.PutJSON(tx, bucketMeta, metaClock, clockRecord{OffsetNanos: int64(next)}); err != nil {
			return err
		}
		// Cached while the write transaction is held: stored after it, two
		// concurrent advances could cache their offsets in the wrong order.
		s.emu.offsetNanos.Store(int64(next))
		return nil
	})
	if err != nil {
		// A failed commit may have cached an offset that was not kept.
		if lerr := s.loadEmulatorState(); lerr != nil {
			return nil, lerr
		}
		return nil, err
	}
	return ok(s.clock())
}

// ParseClockDuration reads a clock change: a Go duration ("90s", "1h30m",
// "-15m") that may also use days and weeks ("1d", "2w3d12h"), within a
// century either way.
func ParseClockDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("empty duration: write it like 15m, 1h30m, 2d or -1h")
	}
	rest, neg := in, false
	if rest[0] == '+' || rest[0] == '-' {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	if rest == "0" {
		return 0, nil
	}
	if rest == "" {
		return 0, fmt.Errorf("duration %q has no number: write it like 15m, 1h30m, 2d or -1h", s)
	}
	var total float64 // nanoseconds; a float cannot overflow before the bound check
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] >= '0' && rest[i] <= '9' || rest[i] == '.') {
			i++
		}
		num := rest[:i]
		if num == "" || num == "." {
			return 0, fmt.Errorf("duration %q: expected a number at %q (write it like 15m, 1h30m, 2d or -1h)", s, rest)
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: %q is not a number", s, num)
		}
		rest = rest[i:]
		j := 0
		for j < len(rest) && !(rest[j] >= '0' && rest[j] <= '9' || rest[j] == '.') {
			j++
		}
		unit, ok := clockUnits[rest[:j]]
		if !ok {
			if j == 0 {
				return 0, fmt.Errorf("duration %q: %q needs a unit (ms, s, m, h, d or w)", s, num)
			}
			return 0, fmt.Errorf("duration %q: unknown unit %q (use ms, s, m, h, d or w)", s, rest[:j])
		}
		rest = rest[j:]
		total += v * float64(unit)
		if total > float64(maxClockOffset) {
			return 0, fmt.Errorf("duration %q is longer than a century", s)
		}
	}
	d := time.Duration(math.Round(total))
	if neg {
		d = -d
	}
	return d, nil
}

var clockUnits = map[string]time.Duration{
	"ns": time.Nanosecond, "us": time.Microsecond, "µs": time.Microsecond, "ms": time.Millisecond,
	"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
}

// FormatOffset writes a clock offset with its sign and whole days, e.g.
// "+0s", "+15m0s", "-2d3h0m0s".
func FormatOffset(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	days := d / (24 * time.Hour)
	rest := d - days*24*time.Hour
	if days == 0 {
		return sign + rest.String()
	}
	if rest == 0 {
		return fmt.Sprintf("%s%dd", sign, days)
	}
	return fmt.Sprintf("%s%dd%s", sign, days, rest.String())
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
