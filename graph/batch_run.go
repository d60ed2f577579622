package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"strings"
	"sync"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// batchRun is one call of Client.Batch. Its parts, in the order a step
// meets them:
//
//   - split (the producer, one goroutine) groups fresh items and steps to
//     send again into batches of opts.Size for the workers, until every
//     item has a result;
//   - send (opts.Concurrency workers) waits for the limiter and the
//     latest Retry-After of the group, sends one $batch and hands each
//     answer to settleAnswer, or the lost $batch to lost;
//   - collect matches the answers, in whatever order Graph returns them,
//     to the steps sent;
//   - classify says what an answer means: done, send again, or (for a
//     write) outcome unknown;
//   - planRetry says when a step is sent again, or that it has had its
//     attempts;
//   - reconcile settles a write whose outcome is unknown by re-reading
//     through its BatchItem.Reconcile;
//   - settle hands a result to the caller's fn, one at a time.
type batchRun struct {
	c       *Client
	adapter abs.RequestAdapter
	opts    BatchOptions
	ctx     context.Context
	cancel  context.CancelCauseFunc

	// batches carries groups from split to the workers.
	batches chan []batchStep
	// group is the batch split is filling (split's goroutine only).
	group []batchStep
	// retries are the steps to send again; pending counts the items
	// without a result.
	retries retryQueue
	pending tally

	// fnMu serialises fn; fnErr is the first error it returned.
	fnMu  sync.Mutex
	fn    func(BatchResult) error
	fnErr error
}

// batchStep is one item on its way through the run.
type batchStep struct {
	item     BatchItem
	attempts int
	// notAfter is when a step sent again may go (after its Retry-After or
	// back-off); zero for a fresh step.
	notAfter time.Time
	// class and cost are the throttling budget the step draws on.
	class RequestClass
	cost  int
	// write, method and url describe the step for OutcomeUnknownError.
	write       bool
	method, url string
}

func (c *Client) newBatchRun(ctx context.Context, opts BatchOptions, fn func(BatchResult) error) *batchRun {
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
	return &batchRun{
		c: c, adapter: adapter, opts: opts, ctx: ctx, cancel: cancel, fn: fn,
		batches: make(chan []batchStep),
		retries: retryQueue{signal: make(chan struct{}, 1)},
		pending: tally{done: make(chan struct{})},
	}
}

// newBatchStep describes an item for the run: whether it writes, and the
// budget it draws on.
func newBatchStep(item BatchItem) batchStep {
	p := batchStep{item: item, method: item.Request.Method.String()}
	p.write = isWrite(p.method)
	if u, err := item.Request.GetUri(); err == nil {
		p.class, p.cost = ClassifyRequest(p.method, u.Path, u.Query())
		p.url = Redact(u.String())
	} else {
		p.class, p.cost = ClassIdentity, 1
	}
	return p
}

// run starts the workers, splits the items into batches until each has a
// result, and returns the first error of fn, of the items, or of ctx.
func (r *batchRun) run(items iter.Seq[BatchItem]) error {
	var workers sync.WaitGroup
	for range r.opts.Concurrency {
		workers.Go(func() {
			for group := range r.batches {
				r.send(group)
			}
		})
	}
	itemErr := r.split(items)
	close(r.batches)
	workers.Wait()
	r.fnMu.Lock()
	defer r.fnMu.Unlock()
	if r.fnErr != nil {
		return r.fnErr
	}
	if itemErr != nil {
		return itemErr
	}
	if err := context.Cause(r.ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return r.ctx.Err()
}

// --- split ---

// split feeds the workers: fresh items, with the steps to send again
// mixed in as they come back, then the steps to send again alone until
// every item has a result or the run stops. It returns the error of an
// item without a request.
func (r *batchRun) split(items iter.Seq[BatchItem]) error {
	for item := range items {
		if r.ctx.Err() != nil {
			return nil
		}
		if item.Request == nil {
			return fmt.Errorf("batch item %s has no request", item.Key)
		}
		r.pending.add()
		if !r.add(newBatchStep(item)) || !r.addRetries() {
			return nil
		}
	}
	r.pending.lastRead()
	for r.flush() {
		select {
		case <-r.retries.signal:
			if !r.addRetries() {
				return nil
			}
		case <-r.pending.done:
			return nil
		case <-r.ctx.Done():
			return nil
		}
	}
	return nil
}

// add puts a step in the current group and hands the group on when full;
// false when the run stopped.
func (r *batchRun) add(p batchStep) bool {
	r.group = append(r.group, p)
	if len(r.group) == r.opts.Size {
		return r.flush()
	}
	return true
}

// addRetries adds every step waiting to be sent again.
func (r *batchRun) addRetries() bool {
	for _, p := range r.retries.take() {
		if !r.add(p) {
			return false
		}
	}
	return true
}

// flush hands the current group (if any) to a worker; false when the run
// stopped first.
func (r *batchRun) flush() bool {
	if len(r.group) == 0 {
		return true
	}
	select {
	case r.batches <- r.group:
		r.group = nil
		return true
	case <-r.ctx.Done():
		return false
	}
}

// --- send ---

// sentStep is a step in a $batch, under the id the SDK gave it.
type sentStep struct {
	id   string
	step batchStep
}

// stepAnswer is one inner response of a $batch.
type stepAnswer struct {
	id      string
	status  int
	headers map[string]string
	body    []byte // JSON; nil without a body
}

// send sends one group as a $batch and settles or re-queues each step.
func (r *batchRun) send(group []batchStep) {
	if r.opts.Before != nil {
		if err := r.opts.Before(r.ctx, len(group)); err != nil {
			for _, p := range group {
				r.settle(BatchResult{Key: p.item.Key, Err: err, Attempts: p.attempts})
			}
			return
		}
	}
	// Wait for the latest Retry-After among the steps sent again.
	if d := time.Until(latestNotAfter(group)); d > 0 {
		select {
		case <-time.After(d):
			r.c.limiter.addWaited(d)
		case <-r.ctx.Done():
		}
	}
	// Each step is charged to its budget by the transport, on every
	// attempt of the $batch: Graph throttles steps one by one, and the
	// outer request is free.
	req := msgraphcore.NewBatchRequest(r.adapter)
	sent := make([]sentStep, 0, len(group))
	for _, p := range group {
		step, err := req.AddBatchRequestStep(*p.item.Request)
		if err != nil {
			r.settle(BatchResult{Key: p.item.Key, Err: fmt.Errorf("batch step %s: %w", p.item.Key, err), Attempts: p.attempts})
			continue
		}
		p.attempts++
		sent = append(sent, sentStep{id: *step.GetId(), step: p})
	}
	if len(sent) == 0 {
		return
	}
	resp, err := req.Send(r.ctx, r.adapter)
	if err != nil {
		r.lost(sent, err)
		return
	}
	var answers []stepAnswer
	for _, item := range resp.GetResponses() {
		a := stepAnswer{id: deref(item.GetId()), status: int(deref(item.GetStatus())), headers: item.GetHeaders()}
		if b := item.GetBody(); b != nil {
			a.body, _ = json.Marshal(map[string]any(b))
		}
		answers = append(answers, a)
	}
	answered, missing := collect(sent, answers)
	for _, m := range answered {
		r.settleAnswer(m.step, m.answer)
	}
	for _, p := range missing {
		r.settle(BatchResult{Key: p.item.Key, Err: fmt.Errorf("%s: the batch response has no answer for %s", r.opts.Op, p.item.Key), Attempts: p.attempts})
	}
}

// latestNotAfter is when the last step of a group may be sent.
func latestNotAfter(group []batchStep) time.Time {
	var t time.Time
	for _, p := range group {
		if p.notAfter.After(t) {
			t = p.notAfter
		}
	}
	return t
}

// lost handles a $batch that failed as a whole. When it may have run (an
// OutcomeUnknownError: no answer, a 5xx), its reads are sent again and its
// writes re-read; any other failure is every step's result.
func (r *batchRun) lost(sent []sentStep, err error) {
	var ou *OutcomeUnknownError
	if errors.As(err, &ou) && r.ctx.Err() == nil {
		for _, s := range sent {
			p := s.step
			if p.write {
				r.reconcile(p, &OutcomeUnknownError{Method: p.method, URL: p.url, Status: ou.Status, Code: ou.Code, Message: ou.Message, Err: ou.Err})
				continue
			}
			r.again(p, 0)
		}
		return
	}
	werr := wrap(strings.TrimSpace(r.opts.Op+" (batch)"), r.opts.Role, err)
	for _, s := range sent {
		r.settle(BatchResult{Key: s.step.item.Key, Err: werr, Attempts: s.step.attempts})
	}
}

// --- collect ---

// answeredStep is a step with its answer.
type answeredStep struct {
	step   batchStep
	answer stepAnswer
}

// collect matches a $batch's answers to the steps sent, in the order the
// answers came (Graph may return them in any order): an answer for an id
// not sent, or a second answer for one, is ignored. missing are the steps
// without an answer, in the order sent.
func collect(sent []sentStep, answers []stepAnswer) (answered []answeredStep, missing []batchStep) {
	byID := make(map[string]int, len(sent))
	for i, s := range sent {
		byID[s.id] = i
	}
	seen := make([]bool, len(sent))
	for _, a := range answers {
		i, ok := byID[a.id]
		if !ok || seen[i] {
			continue
		}
		seen[i] = true
		answered = append(answered, answeredStep{step: sent[i].step, answer: a})
	}
	for i, s := range sent {
		if !seen[i] {
			missing = append(missing, s.step)
		}
	}
	return answered, missing
}

// --- classify ---

// stepVerdict is what an answer means for its step.
type stepVerdict int

const (
	// stepDone: the answer is the result (success or failure).
	stepDone stepVerdict = iota
	// stepAgain: the step is sent again (a 429, or a read's 5xx), within
	// its attempts.
	stepAgain
	// stepUnknown: a write answered 5xx; it may have been applied.
	stepUnknown
)

// classify says what an answer with this status means for a step that
// has been sent attempts times; stopping is set once the run is
// cancelled, when nothing is sent again or re-read.
func classify(write bool, status, attempts, maxAttempts int, stopping bool) stepVerdict {
	switch {
	case stopping:
		return stepDone
	case write && unknownStatus(status):
		return stepUnknown
	case (status == http.StatusTooManyRequests || (!write && transientStatus(status))) && attempts < maxAttempts:
		return stepAgain
	}
	return stepDone
}

// settleAnswer tells the limiter what Graph said and acts on the verdict.
func (r *batchRun) settleAnswer(p batchStep, a stepAnswer) {
	r.c.limiter.Observe(p.class, p.cost, a.status, func(name string) string { return headerValue(a.headers, name) })
	if a.status == http.StatusTooManyRequests && r.opts.OnThrottle != nil {
		r.opts.OnThrottle(retryAfterHeader(a.headers))
	}
	switch classify(p.write, a.status, p.attempts, r.opts.MaxAttempts, r.ctx.Err() != nil) {
	case stepUnknown:
		ou := &OutcomeUnknownError{Method: p.method, URL: p.url, Status: a.status}
		if ie, ok := innerError("", "", "", a.status, a.body, a.headers).(*Error); ok {
			ou.Code, ou.Message = ie.Code, ie.Message
		}
		r.reconcile(p, ou)
	case stepAgain:
		r.again(p, parseRetryAfter(headerValue(a.headers, "Retry-After")))
	default:
		res := BatchResult{Key: p.item.Key, Status: a.status, Body: a.body, Attempts: p.attempts}
		if a.status >= 400 {
			res.Err = innerError(r.opts.Op, r.opts.Role, p.item.Key, a.status, a.body, a.headers)
		}
		r.settle(res)
	}
}

// --- retry plan ---

// planRetry is how long a step that has been sent attempts times waits
// before it is sent again after an answer with this Retry-After (0: none):
// the server's word when it gave one (at most maxRetryAfter), else the
// client's back-off. ok is false when the step has had its attempts.
func planRetry(policy retryPolicy, attempts, maxAttempts int, retryAfter time.Duration) (wait time.Duration, ok bool) {
	if attempts >= maxAttempts {
		return 0, false
	}
	return policy.wait(attempts, retryAfter), true
}

// again queues a step to be sent again, or settles it when it has had its
// attempts.
func (r *batchRun) again(p batchStep, retryAfter time.Duration) {
	wait, ok := planRetry(r.c.retry, p.attempts, r.opts.MaxAttempts, retryAfter)
	if !ok {
		r.settle(BatchResult{Key: p.item.Key, Err: fmt.Errorf("%s %s: no answer after %d attempts", r.opts.Op, p.item.Key, p.attempts), Attempts: p.attempts})
		return
	}
	p.notAfter = time.Now().Add(wait)
	r.retries.push(p)
}

// --- reconcile ---

// reconcile settles a write step whose outcome is unknown: it re-reads
// through the item's Reconcile, delivers the write when applied, and sends
// it again when not (within its attempts). Without Reconcile, or when the
// re-read fails, the result is the unknown outcome, never a guess.
func (r *batchRun) reconcile(p batchStep, cause *OutcomeUnknownError) {
	op := strings.TrimSpace(r.opts.Op + " " + p.item.Key)
	if p.item.Reconcile == nil {
		r.settle(BatchResult{Key: p.item.Key, Status: cause.Status, Err: wrap(op, r.opts.Role, cause), Attempts: p.attempts})
		return
	}
	body, applied, err := p.item.Reconcile(r.ctx)
	switch {
	case err != nil:
		cause.Err = fmt.Errorf("re-reading to learn whether it was applied failed: %w", err)
		r.settle(BatchResult{Key: p.item.Key, Status: cause.Status, Err: wrap(op, r.opts.Role, cause), Attempts: p.attempts})
	case applied:
		r.settle(BatchResult{Key: p.item.Key, Status: http.StatusOK, Body: body, Attempts: p.attempts, Reconciled: true})
	case p.attempts < r.opts.MaxAttempts && r.ctx.Err() == nil:
		// Not applied: sending it again is safe.
		r.again(p, 0)
	default:
		r.settle(BatchResult{Key: p.item.Key, Status: cause.Status, Attempts: p.attempts,
			Err: &Error{Op: op, Status: cause.Status, Code: cause.Code,
				Message: fmt.Sprintf("not applied after %d attempts (the last answered %s)", p.attempts, unknownWhat(cause)), Hint: hintFor(&Error{Status: cause.Status})}})
	}
}

// --- settle ---

// settle gives an item its result: fn sees it (unless fn already stopped
// the run), and the item no longer counts as pending.
func (r *batchRun) settle(res BatchResult) {
	r.deliver(res)
	r.pending.finish()
}

func (r *batchRun) deliver(res BatchResult) {
	r.fnMu.Lock()
	defer r.fnMu.Unlock()
	if r.fnErr != nil {
		return
	}
	if err := r.fn(res); err != nil {
		r.fnErr = err
		r.cancel(err)
	}
}

// tally counts the items without a result; done closes when the last item
// was read and every item has its result.
type tally struct {
	mu          sync.Mutex
	outstanding int
	allRead     bool
	done        chan struct{}
}

func (t *tally) add() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.outstanding++
}

func (t *tally) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.outstanding--
	if t.outstanding == 0 && t.allRead {
		close(t.done)
	}
}

func (t *tally) lastRead() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.allRead = true
	if t.outstanding == 0 {
		close(t.done)
	}
}

// retryQueue holds the steps to send again. It is unbounded, so a worker
// never blocks on it while split waits for a free worker; signal (one
// buffered slot) wakes split.
type retryQueue struct {
	mu     sync.Mutex
	steps  []batchStep
	signal chan struct{}
}

func (q *retryQueue) push(p batchStep) {
	q.mu.Lock()
	q.steps = append(q.steps, p)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *retryQueue) take() []batchStep {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.steps
	q.steps = nil
	return out
}
