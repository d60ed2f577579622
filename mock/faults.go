package mock

import (
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Fault injection (`--fail-rate 0.02`) fails that share of requests the way
// a cloud service does now and then. Of the failures:
//
//	25 %  500 generalException, before the request is handled
//	25 %  503 serviceNotAvailable with Retry-After: 1, before it is handled
//	20 %  504 UnknownError after the request WAS handled: the gateway gave
//	      up, but a write took effect (a client that retries a create meets
//	      its own first attempt)
//	15 %  connection dropped before the request is handled
//	15 %  connection dropped after it was handled (the write took effect)
//
// A dropped connection is a TCP reset (the handler hijacks the connection
// and closes it with linger 0; over HTTP/2, and in-process, the handler
// aborts and the in-process transport returns an error). Draws come from a
// generator seeded with --fail-seed, so a sequential client meets the same
// failures on every run; concurrent clients take draws in whatever order
// they arrive. Inner requests of a $batch fail on their own (admitInner)
// with 500, 503 or 504, never a dropped connection, and always before they
// are handled.

// ParseFailRate reads --fail-rate: a probability from 0 to 1 ("0.02") or
// a percentage ("2%").
func ParseFailRate(s string) (float64, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, nil
	}
	scale := 1.0
	num := in
	if p, ok := strings.CutSuffix(in, "%"); ok {
		num, scale = strings.TrimSpace(p), 100
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v != v {
		return 0, fmt.Errorf("fail rate %q is not a number: write it like 0.02 or 2%%", s)
	}
	v /= scale
	if v < 0 || v > 1 {
		return 0, fmt.Errorf("fail rate %q must be between 0 and 1 (0%% and 100%%)", s)
	}
	return v, nil
}

type faultKind int

const (
	faultNone faultKind = iota
	fault500
	fault503
	fault504After
	faultDropBefore
	faultDropAfter
)

var faultOdds = []struct {
	kind faultKind
	pct  float64
}{{fault500, 25}, {fault503, 25}, {fault504After, 20}, {faultDropBefore, 15}, {faultDropAfter, 15}}

// after reports whether the fault strikes once the request was handled.
func (k faultKind) after() bool { return k == fault504After || k == faultDropAfter }

type faults struct {
	rate float64
	seed uint64
	mu   sync.Mutex
	rng  *rand.Rand
}

func newFaults(rate float64, seed uint64) *faults {
	if seed == 0 {
		seed = rand.Uint64()>>1 | 1
	}
	return &faults{rate: rate, seed: seed, rng: rand.New(rand.NewPCG(seed, 0x6d666163746c))}
}

// draw decides the fate of one request. Without drops (inner batch
// requests) every fault is a status answered before handling.
func (f *faults) draw(allowDrop bool) faultKind {
	if f == nil || f.rate == 0 {
		return faultNone
	}
	f.mu.Lock()
	hit, pick := f.rng.Float64(), f.rng.Float64()*100
	f.mu.Unlock()
	if hit >= f.rate {
		return faultNone
	}
	kind := fault500
	for _, o := range faultOdds {
		if pick < o.pct {
			kind = o.kind
			break
		}
		pick -= o.pct
	}
	if !allowDrop {
		switch kind {
		case faultDropBefore:
			kind = fault500
		case faultDropAfter:
			kind = fault503
		}
	}
	return kind
}

// faultError is the Graph error of an injected status fault.
func faultError(k faultKind) *graphError {
	switch k {
	case fault503:
		e := newError(http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable; retry after 1 second. (mfactl mock: injected fault)")
		e.headers = map[string]string{"Retry-After": "1"}
		return e
	case fault504After:
		return newError(http.StatusGatewayTimeout, "UnknownError", "The gateway timed out waiting for the service; the request may have been applied. (mfactl mock: injected fault)")
	}
	return newError(http.StatusInternalServerError, codeInternal, "An internal server error occurred. (mfactl mock: injected fault)")
}

// dropConnection resets the client's connection without a response: over
// HTTP/1 it hijacks the TCP connection and closes it with linger 0 (an
// RST); elsewhere it aborts the handler, which net/http turns into a reset
// stream and the in-process transport into an error.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			raw := conn
			if tc, ok := conn.(*tls.Conn); ok {
				raw = tc.NetConn()
			}
			if tcp, ok := raw.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0)
			}
			_ = raw.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}
