package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
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
// may stop the run by returning an error. The steps are independent (no
// dependsOn). The parts of a run are batchRun's, in batch_run.go.
func (c *Client) Batch(ctx context.Context, items iter.Seq[BatchItem], opts BatchOptions, fn func(BatchResult) error) error {
	r := c.newBatchRun(ctx, opts, fn)
	defer r.cancel(nil)
	return r.run(items)
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
