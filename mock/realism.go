package mock

import (
	"context"
	"fmt"
	"github.com/mfactl/mfactl/internal/emulatorapi"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// Realism are the knobs that make the mock behave like Graph on a bad
// day: latency, Graph's throttling budgets and injected failures. All are
// off by default. They form one layer over the handler (no special cases
// in the store or the handlers), which applies to /v1.0 and /beta and
// never to the emulator's /_mock/ endpoints. See latency.go, throttle.go
// and faults.go for the models.
type Realism struct {
	Latency  Latency
	Throttle Throttle
	// FailRate is the share of requests that fail (0 to 1).
	FailRate float64
	// FailSeed seeds the failures; 0 picks one at start (Health reports it).
	FailSeed uint64
	// StrictReports refuses $top on the registration report, which
	// documents only $filter and $orderBy (see fidelity.go).
	StrictReports bool
	// BatchOrder is the order of $batch responses: shuffled (the default,
	// seeded by BatchSeed; 0 picks a seed) or request (see fidelity.go).
	BatchOrder BatchOrder
	BatchSeed  uint64
}

// Environment variables that set the in-process mock's realism knobs
// (`--mock` runs); `mock serve` has flags of the same names.
const (
	EnvLatency  = "MFACTL_MOCK_LATENCY"
	EnvThrottle = "MFACTL_MOCK_THROTTLE"
	EnvFailRate = "MFACTL_MOCK_FAIL_RATE"
	EnvFailSeed = "MFACTL_MOCK_FAIL_SEED"
	// EnvStrictReports, EnvBatchOrder and EnvBatchSeed set the fidelity
	// knobs (fidelity.go), as --strict-reports, --batch-order and
	// --batch-seed do for `mock serve`.
	EnvStrictReports = "MFACTL_MOCK_STRICT_REPORTS"
	EnvBatchOrder    = "MFACTL_MOCK_BATCH_ORDER"
	EnvBatchSeed     = "MFACTL_MOCK_BATCH_SEED"
)

// RealismFromEnv reads the knobs from MFACTL_MOCK_LATENCY,
// MFACTL_MOCK_THROTTLE, MFACTL_MOCK_FAIL_RATE and MFACTL_MOCK_FAIL_SEED.
func RealismFromEnv(getenv func(string) string) (Realism, error) {
	var r Realism
	var err error
	if r.Latency, err = ParseLatency(getenv(EnvLatency)); err != nil {
		return r, fmt.Errorf("%s: %w", EnvLatency, err)
	}
	if r.Throttle, err = ParseThrottle(getenv(EnvThrottle)); err != nil {
		return r, fmt.Errorf("%s: %w", EnvThrottle, err)
	}
	if r.FailRate, err = ParseFailRate(getenv(EnvFailRate)); err != nil {
		return r, fmt.Errorf("%s: %w", EnvFailRate, err)
	}
	if r.FailSeed, err = ParseFailSeed(getenv(EnvFailSeed)); err != nil {
		return r, fmt.Errorf("%s: %w", EnvFailSeed, err)
	}
	if r.StrictReports, err = ParseSwitch(getenv(EnvStrictReports)); err != nil {
		return r, fmt.Errorf("%s: %w", EnvStrictReports, err)
	}
	if r.BatchOrder, err = ParseBatchOrder(getenv(EnvBatchOrder)); err != nil {
		return r, fmt.Errorf("%s: %w", EnvBatchOrder, err)
	}
	if r.BatchSeed, err = ParseBatchSeed(getenv(EnvBatchSeed)); err != nil {
		return r, fmt.Errorf("%s: %w", EnvBatchSeed, err)
	}
	return r, nil
}

// ParseFailSeed reads --fail-seed: a non-negative integer ("" or 0: pick one).
func ParseFailSeed(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("fail seed %q is not a non-negative integer", s)
	}
	return v, nil
}

// Enabled reports whether any knob of the realism layer (latency,
// throttling, failures) is on; the fidelity knobs act in the handlers.
func (r Realism) Enabled() bool {
	return !r.Latency.IsZero() || r.Throttle != ThrottleOff || r.FailRate > 0
}

// RealismInfo describes the knobs in effect (GET /_mock/health).
type RealismInfo = emulatorapi.Realism

func (r Realism) info(st *realismState) RealismInfo {
	info := RealismInfo{Latency: r.Latency.String(), Throttle: string(r.Throttle), FailRate: r.FailRate,
		StrictReports: r.StrictReports, BatchOrder: r.BatchOrder.String()}
	if info.Throttle == "" {
		info.Throttle = "off"
	}
	if st != nil && st.faults != nil {
		info.FailSeed = st.faults.seed
	}
	return info
}

// withBatchSeed adds the batch seed in use.
func withBatchSeed(i RealismInfo, b *batchShuffler) RealismInfo {
	if b != nil {
		i.BatchSeed = b.seed
	}
	return i
}

// RealismSummary is a one-line summary of i for `mock serve` ("off" when
// every knob is).
func RealismSummary(i RealismInfo) string {
	if i.Latency == "0s" && i.Throttle == "off" && i.FailRate == 0 && !i.StrictReports && i.BatchOrder != BatchOrderRequest.String() {
		return "off"
	}
	var parts []string
	if i.Latency != "0s" {
		parts = append(parts, "latency "+i.Latency)
	}
	if i.Throttle != "off" {
		parts = append(parts, "throttle "+i.Throttle)
	}
	if i.FailRate > 0 {
		parts = append(parts, fmt.Sprintf("fail-rate %s (seed %d)", strconv.FormatFloat(i.FailRate, 'g', -1, 64), i.FailSeed))
	}
	if i.StrictReports {
		parts = append(parts, "strict reports")
	}
	if i.BatchOrder == BatchOrderRequest.String() {
		parts = append(parts, "batches in request order")
	}
	return strings.Join(parts, ", ")
}

// Realism returns the knobs in effect, with the fail and batch seeds
// actually used.
func (s *Server) Realism() RealismInfo {
	return withBatchSeed(s.opts.Realism.info(s.emu.realism), s.batchOrder)
}

// realismState is the running layer: nil parts are off.
type realismState struct {
	latency  Latency
	faults   *faults
	throttle *throttler
	// sleep waits out a latency (tests replace it).
	sleep func(context.Context, time.Duration) bool
}

// validate checks knobs set without the parsers.
func (r Realism) validate() error {
	if r.FailRate < 0 || r.FailRate > 1 || r.FailRate != r.FailRate {
		return fmt.Errorf("mock: fail rate %v is not between 0 and 1", r.FailRate)
	}
	if r.Latency.Min < 0 || r.Latency.Max < r.Latency.Min || r.Latency.Max > maxLatency {
		return fmt.Errorf("mock: latency %s is not a range between 0 and %s", r.Latency, maxLatency)
	}
	if r.Throttle != ThrottleOff && r.Throttle != ThrottleGraph && r.Throttle != ThrottleGraphMethodsAsReports {
		return fmt.Errorf("mock: unknown throttling model %q", r.Throttle)
	}
	if r.BatchOrder != BatchOrderShuffled && r.BatchOrder != BatchOrderRequest {
		return fmt.Errorf("mock: unknown batch order %q", r.BatchOrder)
	}
	return nil
}

func newRealismState(r Realism, now func() time.Time) (*realismState, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	if !r.Enabled() {
		return nil, nil
	}
	st := &realismState{latency: r.Latency, sleep: sleepCtx}
	if r.FailRate > 0 {
		st.faults = newFaults(r.FailRate, r.FailSeed)
	}
	if r.Throttle == ThrottleGraph || r.Throttle == ThrottleGraphMethodsAsReports {
		st.throttle = &throttler{now: now, apps: map[string]*appBudget{}, methodsAsReports: r.Throttle == ThrottleGraphMethodsAsReports}
	}
	return st, nil
}

// realismLayer wraps the handler with the knobs: latency, then faults that
// strike before handling, then throttling, then the handler, then faults
// that strike after it. With every knob off it is the handler itself.
func (s *Server) realismLayer(next http.Handler) http.Handler {
	st := s.emu.realism
	if st == nil {
		return next
	}
	if st.throttle != nil {
		st.throttle.app = s.appOf
		st.throttle.tenant = s.tenantSize
	}
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		if isControlPath(hr) {
			next.ServeHTTP(w, hr)
			return
		}
		if !st.latency.IsZero() && !st.sleep(hr.Context(), st.latency.delay()) {
			return // the client went away
		}
		fault := st.faults.draw(true)
		switch fault {
		case fault500, fault503:
			s.write(w, s.newRequest(hr), nil, faultError(fault))
			return
		case faultDropBefore:
			dropConnection(w)
			return
		}
		if st.throttle != nil {
			headers, gerr := st.throttle.admit(hr)
			if gerr != nil {
				s.write(w, s.newRequest(hr), nil, gerr)
				return
			}
			for k, v := range headers {
				w.Header().Set(k, v)
			}
		}
		if !fault.after() {
			next.ServeHTTP(w, hr)
			return
		}
		// The request takes effect, but its response is lost.
		next.ServeHTTP(httptest.NewRecorder(), hr)
		if fault == faultDropAfter {
			dropConnection(w)
			return
		}
		s.write(w, s.newRequest(hr), nil, faultError(fault))
	})
}

// admitInner applies the knobs to one inner request of a JSON batch, which
// Graph throttles (and fails) one by one. The batch engine calls it for
// each step before running it, with an *http.Request for the step that
// carries the outer request's Authorization header; its URL may be the
// step's (relative to the version root, "/users/...") or absolute
// ("/v1.0/users/..."):
//
//	headers, gerr := s.admitInner(stepReq)
//	if gerr != nil { /* the step's response is gerr: status, headers, error body */ }
//	else { /* run the step; add headers to its response headers */ }
//
// It never delays (the batch was delayed once) and never drops anything.
func (s *Server) admitInner(r *http.Request) (map[string]string, *graphError) {
	st := s.emu.realism
	if st == nil {
		return nil, nil
	}
	if fault := st.faults.draw(false); fault != faultNone {
		return nil, faultError(fault)
	}
	if st.throttle == nil {
		return nil, nil
	}
	return st.throttle.admit(r)
}

// innerRealismLayer applies admitInner to each request of a JSON batch: a
// throttled or failed step answers with the knob's error, the others run
// with the throttle's headers added.
func (s *Server) innerRealismLayer(next http.Handler) http.Handler {
	if s.emu.realism == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		headers, gerr := s.admitInner(hr)
		if gerr != nil {
			s.write(w, s.newRequest(hr), nil, gerr)
			return
		}
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		next.ServeHTTP(w, hr)
	})
}

func isControlPath(r *http.Request) bool {
	p := r.URL.EscapedPath()
	return p == "/"+controlSegment || strings.HasPrefix(p, "/"+controlSegment+"/")
}

// appOf identifies the app of a request: one app per bearer token.
func (s *Server) appOf(authorization string) (string, bool) {
	p, ok := s.tokens.lookup(authorization)
	if !ok {
		return "", false
	}
	return stableID("mock-app", p.UPN), true
}

func (s *Server) tenantSize() (string, int) {
	id, _ := s.emu.tenantID.Load().(string)
	return id, int(s.emu.users.Load())
}
