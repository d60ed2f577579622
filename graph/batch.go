package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// MaxBatchSize is Graph's limit of requests in one $batch.
const MaxBatchSize = 20

// BatchItem is one request to send through JSON batching.
type BatchItem struct {
	// Key is the caller's name for the item, echoed in its result.
	Key string
	// Request is the request, built by an SDK request builder's
	// To...RequestInformation or by hand (relative to the adapter's base URL).
	Request *abs.RequestInformation
	// Reconcile, for a write, learns whether it was applied when its
	// outcome is unknown (a 5xx answer, or no answer to its $batch): it
	// re-reads and returns the created or changed resource as JSON and
	// true when the write took effect, false when it did not (the write is
	// then sent again). Without it such a write ends with
	// *OutcomeUnknownError. Reads need none: they are simply sent again.
	Reconcile func(ctx context.Context) (body []byte, applied bool, err error)
}

// BatchResult is the outcome of one item.
type BatchResult struct {
	Key    string
	Status int
	// Body is the inner response body as JSON (nil for 204).
	Body []byte
	// Err is a *Error for a failed item (status >= 400 after retries), or
	// the transport error of its batch.
	Err error
	// Attempts is how many times the item was sent.
	Attempts int
	// Reconciled is set when the write's answer was lost and a re-read
	// (BatchItem.Reconcile) found it applied; Body is then what the re-read
	// returned.
	Reconciled bool
}

// BatchOptions tune Batch.
type BatchOptions struct {
	// Beta sends to /beta/$batch instead of /v1.0/$batch.
	Beta bool
	// Concurrency is how many $batch requests are in flight (default 4).
	Concurrency int
	// Size is the number of requests per $batch (default and maximum 20).
	Size int
	// MaxAttempts per item (default: the client's retries + 1). A read
	// step is sent again after 429, 500, 502, 503 or 504; a write step
	// after 429, or after a re-read showed that a write whose outcome was
	// unknown was not applied.
	MaxAttempts int
	// Before is called before each $batch is sent with the number of
	// requests in it; a client-side rate limiter waits here.
	Before func(ctx context.Context, requests int) error
	// OnThrottle is told when an inner request was throttled and how long
	// the server asked to wait.
	OnThrottle func(retryAfter time.Duration)
	// Op names the work for error messages ("list methods of").
	Op   string
	Role RoleHint
}

// Batch sends items through Graph's JSON batching: up to 20 requests per
// $batch, several batches in flight. Each step is retried on its own, so a
// failed step costs one more request, not the whole batch: a throttled
// (429) step after its Retry-After, a read step that failed (500, 502, 503,
// 504) after a back-off. A write step whose outcome is unknown (a 5xx, or a
// $batch that got no answer) is never sent blindly again: its Reconcile
// re-reads, and only a write that was not applied is sent again. A read
// step of a $batch that got no answer is sent again. fn receives
// every result exactly once; it is called from one goroutine at a time and
// may stop the run by returning an error.
func (c *Client) Batch(ctx context.Context, items iter.Seq[BatchItem], opts BatchOptions, fn func(BatchResult) error) error {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Size <= 0 || opts.Size > MaxBatchSize {
		opts.Size = MaxBatchSize
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = c.retry.maxRetries + 1
	}
	adapter := c.v1
	if opts.Beta {
		adapter = c.beta
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	type pending struct {
		item     BatchItem
		attempts int
		notAfter time.Time
		class    RequestClass
		cost     int
		// write, method and url describe the step for OutcomeUnknownError.
		write       bool
		method, url string
	}
	batches := make(chan []pending)
	var (
		mu    sync.Mutex
		fnErr error
		// outstanding counts items without a result yet; done closes when
		// it reaches zero after the last item was read.
		countMu     sync.Mutex
		outstanding int
		allRead     bool
		done        = make(chan struct{})
		// retries is an unbounded queue, so a worker never blocks on it
		// while the producer waits for a free worker.
		retryMu sync.Mutex
		retryQ  []pending
		retried = make(chan struct{}, 1)
	)
	addItem := func() {
		countMu.Lock()
		outstanding++
		countMu.Unlock()
	}
	finish := func() {
		countMu.Lock()
		defer countMu.Unlock()
		outstanding--
		if outstanding == 0 && allRead {
			close(done)
		}
	}
	lastRead := func() {
		countMu.Lock()
		defer countMu.Unlock()
		allRead = true
		if outstanding == 0 {
			close(done)
		}
	}
	pushRetry := func(p pending) {
		retryMu.Lock()
		retryQ = append(retryQ, p)
		retryMu.Unlock()
		select {
		case retried <- struct{}{}:
		default:
		}
	}
	takeRetries := func() []pending {
		retryMu.Lock()
		defer retryMu.Unlock()
		out := retryQ
		retryQ = nil
		return out
	}
	deliver := func(r BatchResult) {
		mu.Lock()
		defer mu.Unlock()
		if fnErr != nil {
			return
		}
		if err := fn(r); err != nil {
			fnErr = err
			cancel(err)
		}
	}

	// again queues a step to be sent again after the server's Retry-After
	// (0: none) or the back-off of its attempt.
	again := func(p pending, retryAfter time.Duration) {
		if p.attempts >= opts.MaxAttempts {
			deliver(BatchResult{Key: p.item.Key, Err: fmt.Errorf("%s %s: no answer after %d attempts", opts.Op, p.item.Key, p.attempts), Attempts: p.attempts})
			finish()
			return
		}
		p.notAfter = time.Now().Add(c.retry.wait(p.attempts, retryAfter))
		pushRetry(p)
	}
	// unknown settles a write step whose outcome is unknown: re-read
	// through its Reconcile, deliver it when applied, send it again when
	// not.
	unknown := func(p pending, cause *OutcomeUnknownError) {
		if p.item.Reconcile == nil {
			deliver(BatchResult{Key: p.item.Key, Status: cause.Status, Err: wrap(strings.TrimSpace(opts.Op+" "+p.item.Key), opts.Role, cause), Attempts: p.attempts})
			finish()
			return
		}
		body, applied, err := p.item.Reconcile(ctx)
		switch {
		case err != nil:
			cause.Err = fmt.Errorf("re-reading to learn whether it was applied failed: %w", err)
			deliver(BatchResult{Key: p.item.Key, Status: cause.Status, Err: wrap(strings.TrimSpace(opts.Op+" "+p.item.Key), opts.Role, cause), Attempts: p.attempts})
		case applied:
			deliver(BatchResult{Key: p.item.Key, Status: http.StatusOK, Body: body, Attempts: p.attempts, Reconciled: true})
		case p.attempts < opts.MaxAttempts && ctx.Err() == nil:
			// Not applied: sending it again is safe.
			again(p, 0)
			return
		default:
			deliver(BatchResult{Key: p.item.Key, Status: cause.Status, Attempts: p.attempts,
				Err: &Error{Op: strings.TrimSpace(opts.Op + " " + p.item.Key), Status: cause.Status, Code: cause.Code,
					Message: fmt.Sprintf("not applied after %d attempts (the last answered %s)", p.attempts, unknownWhat(cause)), Hint: hintFor(&Error{Status: cause.Status})}})
		}
		finish()
	}

	send := func(group []pending) {
		if opts.Before != nil {
			if err := opts.Before(ctx, len(group)); err != nil {
				for _, p := range group {
					deliver(BatchResult{Key: p.item.Key, Err: err, Attempts: p.attempts})
					finish()
				}
				return
			}
		}
		// Wait for the latest Retry-After among retried items.
		var wait time.Time
		for _, p := range group {
			if p.notAfter.After(wait) {
				wait = p.notAfter
			}
		}
		if d := time.Until(wait); d > 0 {
			select {
			case <-time.After(d):
				c.limiter.addWaited(d)
			case <-ctx.Done():
			}
		}
		// Each step is charged to its budget by the transport, on every
		// attempt of the $batch: Graph throttles steps one by one, and the
		// outer request is free.
		req := msgraphcore.NewBatchRequest(adapter)
		ids := make(map[string]pending, len(group))
		for _, p := range group {
			step, err := req.AddBatchRequestStep(*p.item.Request)
			if err != nil {
				deliver(BatchResult{Key: p.item.Key, Err: fmt.Errorf("batch step %s: %w", p.item.Key, err), Attempts: p.attempts})
				finish()
				continue
			}
			p.attempts++
			ids[*step.GetId()] = p
		}
		if len(ids) == 0 {
			return
		}
		resp, err := req.Send(ctx, adapter)
		if err != nil {
			var ou *OutcomeUnknownError
			if errors.As(err, &ou) && ctx.Err() == nil {
				// The $batch may have run: its reads are sent again, its
				// writes re-read.
				for _, p := range ids {
					if p.write {
						unknown(p, &OutcomeUnknownError{Method: p.method, URL: p.url, Status: ou.Status, Code: ou.Code, Message: ou.Message, Err: ou.Err})
						continue
					}
					again(p, 0)
				}
				return
			}
			werr := wrap(strings.TrimSpace(opts.Op+" (batch)"), opts.Role, err)
			for _, p := range ids {
				deliver(BatchResult{Key: p.item.Key, Err: werr, Attempts: p.attempts})
				finish()
			}
			return
		}
		seen := map[string]bool{}
		for _, item := range resp.GetResponses() {
			id := deref(item.GetId())
			p, ok := ids[id]
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			status := int(deref(item.GetStatus()))
			headers := item.GetHeaders()
			c.limiter.Observe(p.class, p.cost, status, func(name string) string { return headerValue(headers, name) })
			var body []byte
			if b := item.GetBody(); b != nil {
				body, _ = json.Marshal(map[string]any(b))
			}
			if status == 429 && opts.OnThrottle != nil {
				opts.OnThrottle(retryAfterHeader(headers))
			}
			if p.write && status >= 500 && ctx.Err() == nil {
				ou := &OutcomeUnknownError{Method: p.method, URL: p.url, Status: status}
				if ie, ok := innerError("", "", "", status, body, headers).(*Error); ok {
					ou.Code, ou.Message = ie.Code, ie.Message
				}
				unknown(p, ou)
				continue
			}
			if (status == 429 || (!p.write && transientStatus(status))) && p.attempts < opts.MaxAttempts && ctx.Err() == nil {
				again(p, parseRetryAfter(headerValue(headers, "Retry-After")))
				continue
			}
			res := BatchResult{Key: p.item.Key, Status: status, Body: body, Attempts: p.attempts}
			if status >= 400 {
				res.Err = innerError(opts.Op, opts.Role, p.item.Key, status, body, headers)
			}
			deliver(res)
			finish()
		}
		for id, p := range ids {
			if !seen[id] {
				deliver(BatchResult{Key: p.item.Key, Err: fmt.Errorf("%s: the batch response has no answer for %s", opts.Op, p.item.Key), Attempts: p.attempts})
				finish()
			}
		}
	}

	var workers sync.WaitGroup
	for i := 0; i < opts.Concurrency; i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for group := range batches {
				send(group)
			}
		}()
	}

	// The producer groups fresh items and retries into batches.
	var group []pending
	flush := func() bool {
		if len(group) == 0 {
			return true
		}
		select {
		case batches <- group:
			group = nil
			return true
		case <-ctx.Done():
			return false
		}
	}
	drainRetries := func() bool {
		for _, p := range takeRetries() {
			group = append(group, p)
			if len(group) == opts.Size && !flush() {
				return false
			}
		}
		return true
	}
	stopped := false
	var prodErr error
	for item := range items {
		if ctx.Err() != nil {
			stopped = true
			break
		}
		if item.Request == nil {
			prodErr = fmt.Errorf("batch item %s has no request", item.Key)
			stopped = true
			break
		}
		addItem()
		p := pending{item: item, method: item.Request.Method.String(), write: isWrite(item.Request.Method.String())}
		if u, err := item.Request.GetUri(); err == nil {
			p.class, p.cost = ClassifyRequest(p.method, u.Path, u.Query())
			p.url = Redact(u.String())
		} else {
			p.class, p.cost = ClassIdentity, 1
		}
		group = append(group, p)
		if len(group) == opts.Size && !flush() {
			stopped = true
			break
		}
		if !drainRetries() {
			stopped = true
			break
		}
	}
	// Keep sending retries until every item has a result.
	if !stopped {
		lastRead()
	}
	for !stopped {
		if !flush() {
			break
		}
		select {
		case <-retried:
			if !drainRetries() {
				stopped = true
			}
		case <-done:
			stopped = true
		case <-ctx.Done():
			stopped = true
		}
	}
	close(batches)
	workers.Wait()
	mu.Lock()
	defer mu.Unlock()
	if fnErr != nil {
		return fnErr
	}
	if prodErr != nil {
		return prodErr
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// unknownWhat is how an unknown outcome came about, for a message.
func unknownWhat(e *OutcomeUnknownError) string {
	switch {
	case e.Status != 0:
		return fmt.Sprintf("HTTP %d", e.Status)
	case e.Err != nil:
		return e.Err.Error()
	}
	return "nothing"
}

// headerValue is the value of an inner response's header, whatever its
// case ("" when absent).
func headerValue(h map[string]string, name string) string {
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// retryAfterHeader reads Retry-After from an inner response's headers
// (whole seconds); without one, a short back-off.
func retryAfterHeader(h map[string]string) time.Duration {
	if secs, err := strconv.ParseFloat(strings.TrimSpace(headerValue(h, "Retry-After")), 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	return time.Second
}

// innerError turns a failed inner response into *Error.
func innerError(op string, role RoleHint, key string, status int, body []byte, headers map[string]string) error {
	e := &Error{Op: strings.TrimSpace(op + " " + key), Status: status}
	var env struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID string `json:"request-id"`
				Date      string `json:"date"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil {
		e.Code, e.Message = env.Error.Code, env.Error.Message
		e.RequestID, e.Date = env.Error.InnerError.RequestID, env.Error.InnerError.Date
	}
	if e.Message == "" {
		e.Message = http2text(status)
	}
	if status == 429 {
		e.RetryAfter = retryAfterHeader(headers)
	}
	e.Access = role
	e.Hint = hintFor(e)
	return e
}
