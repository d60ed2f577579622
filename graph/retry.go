package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Retries are mfactl's own, in one transport (retryTransport) under the
// SDK's middleware, instead of kiota's RetryHandler:
//
//   - kiota's RetryHandler sits above its CompressionHandler, which sets
//     Content-Encoding: gzip on the request in place; a retried attempt then
//     went out with that header and a plain body (kiota-http-go issue 183),
//     and Graph refuses it. mfactl sends request bodies uncompressed: they
//     are small (a method, a token, a batch of 20 steps), and a body that is
//     never encoded cannot be encoded wrongly on a retry. Each attempt is
//     built afresh from the buffered body.
//   - kiota retries any method on 429/503/504 only. Here a read (GET, or a
//     $batch whose steps are all GETs) is retried on 429, 500, 502, 503,
//     504, a reset or EOF and a per-attempt timeout; a write only on 429
//     (Graph's throttling page, concepts/throttling.md: a throttled request
//     was not processed) or when it never left (the dial timed out). A
//     refused connection or an unknown host is not retried at all. Any other
//     failure of a write leaves its outcome unknown: the transport returns
//     *OutcomeUnknownError, and the write's caller re-reads to learn what
//     happened (reconcileWrite) instead of sending it blindly again.
//   - Every attempt first waits for room in the limiter's budgets, then runs
//     under its own timeout: a long Retry-After or limiter wait is not
//     counted against the request.
//   - The waits (limiter, Retry-After, back-off) are counted in the
//     limiter's stats.

// Retry defaults.
const (
	// defaultMaxRetries is how often a request is retried (7 attempts):
	// enough that a 5 % fault rate practically never exhausts them, few
	// enough that a dead service fails in under a minute of back-off.
	defaultMaxRetries = 6
	// maxMaxRetries bounds Options.MaxRetries.
	maxMaxRetries = 10
	// defaultAttemptTimeout bounds one attempt (connect, send, the whole
	// answer). It was the old whole-request timeout of the client.
	defaultAttemptTimeout = 100 * time.Second
	// defaultBackoff is the first back-off; it doubles per attempt up to
	// maxBackoff, and each sleep is drawn from [d/2, d] (jitter, so
	// concurrent clients that failed together do not retry together).
	defaultBackoff = 250 * time.Millisecond
	maxBackoff     = 30 * time.Second
	// maxRetryAfter caps a server's Retry-After: a longer one is an answer,
	// not a pause.
	maxRetryAfter = 5 * time.Minute
)

// OutcomeUnknownError is a write that was sent, or may have been, without an
// answer that says whether Graph applied it: a 5xx (Graph documents 5xx
// answers as failures of the service, not of the request, so it may have
// acted: a 504 is a gateway giving up on a backend that may have
// finished), a connection reset or EOF, or a timeout. A 4xx, and a 429,
// mean the request was not applied.
type OutcomeUnknownError struct {
	Method string
	// URL is the request's URL (redacted as for --debug).
	URL string
	// Status is the HTTP status (0 when no answer came).
	Status int
	// Code and Message are Graph's error, when the answer had one.
	Code, Message string
	// Err is the transport error when no answer came.
	Err error
}

func (e *OutcomeUnknownError) Error() string {
	what := "no answer"
	switch {
	case e.Status != 0 && e.Message != "":
		what = fmt.Sprintf("HTTP %d %s", e.Status, strings.TrimRight(e.Message, "."))
	case e.Status != 0:
		what = fmt.Sprintf("HTTP %d %s", e.Status, http2text(e.Status))
	case e.Err != nil:
		what = e.Err.Error()
	}
	return fmt.Sprintf("%s %s: the outcome is unknown (%s)", e.Method, e.URL, what)
}

func (e *OutcomeUnknownError) Unwrap() error { return e.Err }

// IsOutcomeUnknown reports whether err is (or wraps) an OutcomeUnknownError.
func IsOutcomeUnknown(err error) bool {
	var ou *OutcomeUnknownError
	return errors.As(err, &ou)
}

// retryPolicy is how retryTransport retries.
type retryPolicy struct {
	maxRetries     int
	attemptTimeout time.Duration
	backoff        time.Duration
	// jitter returns a number in [0, 1).
	jitter func() float64
}

func newRetryPolicy(opts Options) retryPolicy {
	p := retryPolicy{maxRetries: opts.MaxRetries, attemptTimeout: opts.AttemptTimeout, backoff: opts.Backoff, jitter: rand.Float64}
	if p.maxRetries <= 0 {
		p.maxRetries = defaultMaxRetries
	}
	p.maxRetries = min(p.maxRetries, maxMaxRetries)
	if p.attemptTimeout <= 0 {
		p.attemptTimeout = defaultAttemptTimeout
	}
	if p.backoff <= 0 {
		p.backoff = defaultBackoff
	}
	return p
}

// delay is the back-off before retry n (1-based).
func (p retryPolicy) delay(n int) time.Duration {
	d := p.backoff << min(n-1, 16)
	if d > maxBackoff || d <= 0 {
		d = maxBackoff
	}
	return d/2 + time.Duration(p.jitter()*float64(d/2))
}

// wait is the pause before retry n after an answer with this Retry-After
// (0: none): the server's word when it gave one, else the back-off.
func (p retryPolicy) wait(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, maxRetryAfter)
	}
	return p.delay(n)
}

// transientStatus are the answers after which a read is sent again.
func transientStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// unknownStatus are the answers that leave a write's outcome unknown.
func unknownStatus(status int) bool { return status >= 500 }

// charge is one budget a request draws on.
type charge struct {
	class RequestClass
	cost  int
}

// retryTransport retries, paces and times each attempt; see the comment at
// the top of this file.
type retryTransport struct {
	next    http.RoundTripper
	limiter *Limiter
	policy  retryPolicy
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	batch := strings.HasSuffix(req.URL.Path, "/$batch")
	read := !isWrite(req.Method)
	var charges []charge
	if batch {
		// The outer $batch is free; each step is charged to its budget
		// (Graph throttles the steps one by one), on every attempt.
		steps, ok := batchStepsOf(body)
		read = ok && steps.allReads()
		for _, s := range steps.Requests {
			class, cost := classifyStep(s.Method, s.URL)
			charges = append(charges, charge{class, cost})
		}
	} else {
		class, cost := ClassifyRequest(req.Method, req.URL.Path, req.URL.Query())
		charges = []charge{{class, cost}}
	}
	for n := 0; ; n++ {
		for _, c := range charges {
			if err := t.limiter.Wait(ctx, c.class, c.cost); err != nil {
				return nil, err
			}
		}
		resp, err := t.attempt(req, body)
		if resp != nil && !batch {
			t.limiter.Observe(charges[0].class, charges[0].cost, resp.StatusCode, resp.Header.Get)
		}
		if ctx.Err() != nil {
			// The caller gave up (or the command was interrupted): that,
			// not the attempt's failure, is the answer.
			return nil, context.Cause(ctx)
		}
		retry, retryAfter := false, time.Duration(0)
		switch {
		case err == nil && resp.StatusCode == http.StatusTooManyRequests:
			// Not processed (concepts/throttling.md): safe for any method.
			retry, retryAfter = true, parseRetryAfter(resp.Header.Get("Retry-After"))
		case err == nil && read && transientStatus(resp.StatusCode):
			retry, retryAfter = true, parseRetryAfter(resp.Header.Get("Retry-After"))
		case err == nil && !read && unknownStatus(resp.StatusCode):
			return nil, unknownFromResponse(req, resp)
		case err != nil && unreachable(err):
			// Nothing listens there, or the name does not resolve: not
			// transient, and the caller's hint says what to check.
			return nil, err
		case err != nil && (read || notSent(err)):
			retry = true
		case err != nil:
			return nil, &OutcomeUnknownError{Method: req.Method, URL: Redact(req.URL.String()), Err: err}
		}
		if !retry || n >= t.policy.maxRetries {
			return resp, err
		}
		if resp != nil {
			resp.Body.Close()
		}
		d := t.policy.wait(n+1, retryAfter)
		if resp != nil && resp.StatusCode == http.StatusTooManyRequests && !batch {
			// The limiter closed the budget until Retry-After (Observe):
			// the next Wait sleeps it and counts it.
			d = 0
		}
		if d > 0 {
			if err := sleepContext(ctx, d); err != nil {
				return nil, err
			}
			t.limiter.addWaitedClass(charges[0].class, d)
		}
	}
}

// attempt sends one attempt under its own timeout and reads the whole
// answer within it, so a reset in the middle of a body is the attempt's
// failure, not the caller's.
func (t *retryTransport) attempt(req *http.Request, body []byte) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.policy.attemptTimeout)
	defer cancel()
	r := req.Clone(ctx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	return resp, nil
}

// notSent reports whether a transport error happened before the request
// left: the connection was never made.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// unreachable reports a failure to connect that retrying will not fix: a
// refused connection or a name that does not resolve (a dial that timed
// out, or a temporary DNS failure, is retried).
func unreachable(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return !dns.IsTemporary && !dns.IsTimeout
	}
	var ne net.Error
	return notSent(err) && !(errors.As(err, &ne) && ne.Timeout())
}

// unknownFromResponse is the OutcomeUnknownError of a write's 5xx answer,
// with Graph's error code and message when the body has them.
func unknownFromResponse(req *http.Request, resp *http.Response) error {
	e := &OutcomeUnknownError{Method: req.Method, URL: Redact(req.URL.String()), Status: resp.StatusCode}
	var env struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if b, err := io.ReadAll(resp.Body); err == nil && json.Unmarshal(b, &env) == nil {
		e.Code, e.Message = env.Error.Code, env.Error.Message
	}
	resp.Body.Close()
	return e
}

// batchStepsOf reads the steps of a $batch body.
func batchStepsOf(body []byte) (batchSteps, bool) {
	var in batchSteps
	if json.Unmarshal(body, &in) != nil {
		return batchSteps{}, false
	}
	return in, true
}

func (b batchSteps) allReads() bool {
	for _, s := range b.Requests {
		if isWrite(strings.ToUpper(s.Method)) {
			return false
		}
	}
	return true
}

// classifyStep classifies a $batch step by its method and relative URL.
func classifyStep(method, rawURL string) (RequestClass, int) {
	path, query, _ := strings.Cut(rawURL, "?")
	q, _ := url.ParseQuery(query)
	return ClassifyRequest(strings.ToUpper(method), path, q)
}
