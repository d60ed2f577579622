package mock

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Latency (`--latency 20ms`, or a range `10ms-50ms`) delays every HTTP
// request to /v1.0 and /beta before it is handled, as the network and
// Graph's front end would. A $batch is one HTTP request and is delayed
// once: its inner requests are not delayed again, as Graph runs them
// server-side.
type Latency struct {
	Min, Max time.Duration
}

// maxLatency keeps a typo ("20s" for "20ms") from hanging every client.
const maxLatency = time.Minute

// ParseLatency reads --latency: a duration ("20ms"), a range drawn
// uniformly ("10ms-50ms"), or "0" / "off" / "" for none.
func ParseLatency(s string) (Latency, error) {
	in := strings.TrimSpace(s)
	switch strings.ToLower(in) {
	case "", "0", "off", "none":
		return Latency{}, nil
	}
	lo, hi, isRange := strings.Cut(in, "-")
	min, err := parseLatencyPart(s, lo)
	if err != nil {
		return Latency{}, err
	}
	max := min
	if isRange {
		if max, err = parseLatencyPart(s, hi); err != nil {
			return Latency{}, err
		}
		if max < min {
			return Latency{}, fmt.Errorf("latency range %q runs backwards: write the smaller duration first, like 10ms-50ms", s)
		}
	}
	return Latency{Min: min, Max: max}, nil
}

func parseLatencyPart(whole, part string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(part))
	if err != nil {
		return 0, fmt.Errorf("latency %q: %q is not a duration such as 20ms (a range is written 10ms-50ms)", whole, strings.TrimSpace(part))
	}
	if d < 0 || d > maxLatency {
		return 0, fmt.Errorf("latency %q: each duration must be between 0 and %s", whole, maxLatency)
	}
	return d, nil
}

// IsZero reports whether there is no latency.
func (l Latency) IsZero() bool { return l.Max == 0 }

func (l Latency) String() string {
	switch {
	case l.IsZero():
		return "0s"
	case l.Min == l.Max:
		return l.Min.String()
	}
	return l.Min.String() + "-" + l.Max.String()
}

// delay picks one request's latency.
func (l Latency) delay() time.Duration {
	if l.Max == l.Min {
		return l.Min
	}
	return l.Min + rand.N(l.Max-l.Min+1)
}

// sleepCtx waits d or until ctx ends (the client gave up), reporting
// whether the whole delay passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
