package graph

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/mfactl/mfactl/internal/throttling"
	"github.com/mfactl/mfactl/methods"
)

// A write whose outcome is unknown (*OutcomeUnknownError: a 5xx, a reset,
// a timeout) is never sent blindly again. Each write function passes
// reconcileWrite a check: a read of the state the write would leave,
// which says whether it was applied (and returns what a successful answer
// would have). Applied: the write succeeded and says so. Not applied:
// sending it again is safe, and it is sent again (at most the client's
// retries). The read cannot tell: the error stays *OutcomeUnknownError, so
// the caller reports the truth, "unknown", not "failed".
//
// Graph documents no read-after-write lag for a user's authentication
// methods or the hardware token inventory (the pages of each method type
// return the created object at once); where a real tenant's replication
// lags, the re-read may miss a write that was applied, and the write is
// sent again: creates then meet Graph's own duplicate rules (a phone type
// or a serial number exists), which the callers report as such.

// checkFunc re-reads after an unknown outcome: the result a success would
// have returned and whether the write took effect.
type checkFunc[T any] func(ctx context.Context) (T, bool, error)

// reconcileWrite sends a write (send makes one attempt through the
// transport, which retries 429s itself) and settles an unknown outcome
// with check.
func reconcileWrite[T any](ctx context.Context, c *Client, send func() (T, error), check checkFunc[T]) (T, error) {
	var zero T
	for n := 1; ; n++ {
		v, err := send()
		var ou *OutcomeUnknownError
		if err == nil || c.plan != nil || !errors.As(err, &ou) {
			return v, err
		}
		got, applied, cerr := check(ctx)
		switch {
		case cerr != nil:
			return zero, withUnknown(err, fmt.Errorf("re-reading to learn whether it was applied failed: %w", cerr))
		case applied:
			return got, nil
		case n > c.retry.maxRetries || ctx.Err() != nil:
			return zero, notApplied(err, n)
		}
		d := c.retry.delay(n)
		if err := throttling.Sleep(ctx, d); err != nil {
			return zero, withUnknown(err, err)
		}
		c.limiter.addWaited(d)
	}
}

// withUnknown keeps err (a *Error around an *OutcomeUnknownError) and
// says why the outcome stayed unknown.
func withUnknown(err, why error) error {
	var ge *Error
	if errors.As(err, &ge) {
		cp := *ge
		cp.Message = strings.TrimRight(cp.Message, ".") + "; " + why.Error()
		return &cp
	}
	return fmt.Errorf("%w; %v", err, why)
}

// notApplied is the error of a write that a re-read showed was not
// applied, n attempts in a row: a plain failure, no longer unknown.
func notApplied(err error, n int) error {
	var ge *Error
	var ou *OutcomeUnknownError
	if !errors.As(err, &ge) || !errors.As(err, &ou) {
		return err
	}
	return &Error{Op: ge.Op, Status: ou.Status, Code: ou.Code,
		Message: fmt.Sprintf("not applied after %d attempts (the last answered %s)", n, unknownWhat(ou)),
		Hint:    hintFor(&Error{Status: max(ou.Status, 500)})}
}

// unknownError is the *Error of an unknown outcome.
func unknownError(e *Error, ou *OutcomeUnknownError) *Error {
	e.Status, e.Code = ou.Status, ou.Code
	e.Message = "the outcome is unknown: Graph answered " + unknownWhat(ou)
	if ou.Message != "" {
		e.Message += " (" + strings.TrimRight(ou.Message, ".") + ")"
	}
	e.Hint = "the change may or may not have been made; read the current state before trying again"
	return e
}

// hasPhone is the check of a phone write: the user's phone of type t has
// this number.
func (c *Client) hasPhone(user, number string, t methods.PhoneType) checkFunc[methods.Method] {
	return func(ctx context.Context) (methods.Method, bool, error) {
		ms, err := c.ListMethods(ctx, user)
		if err != nil {
			return methods.Method{}, false, err
		}
		for _, m := range ms {
			if m.Kind == methods.KindPhone && m.PhoneType == t && samePhone(m.PhoneNumber, number) {
				return m, true, nil
			}
		}
		return methods.Method{}, false, nil
	}
}

var phoneDigits = regexp.MustCompile(`[^0-9x]`)

// samePhone compares numbers by their digits and extension: Graph may
// store a number formatted differently from how it was sent.
func samePhone(a, b string) bool {
	return phoneDigits.ReplaceAllString(strings.ToLower(a), "") == phoneDigits.ReplaceAllString(strings.ToLower(b), "")
}

// methodGone is the check of a removal: the method is no longer listed.
func (c *Client) methodGone(user, id string, list func(context.Context, string) ([]methods.Method, error)) checkFunc[struct{}] {
	return func(ctx context.Context) (struct{}, bool, error) {
		ms, err := list(ctx, user)
		if err != nil {
			return struct{}{}, false, err
		}
		for _, m := range ms {
			if strings.EqualFold(m.ID, id) {
				return struct{}{}, false, nil
			}
		}
		return struct{}{}, true, nil
	}
}

// findMethod is a check that looks for a method of the user that match
// accepts.
func (c *Client) findMethod(user string, list func(context.Context, string) ([]methods.Method, error), match func(methods.Method) bool) checkFunc[methods.Method] {
	return func(ctx context.Context) (methods.Method, bool, error) {
		ms, err := list(ctx, user)
		if err != nil {
			return methods.Method{}, false, err
		}
		for _, m := range ms {
			if match(m) {
				return m, true, nil
			}
		}
		return methods.Method{}, false, nil
	}
}

// noResult adapts a write without a result to reconcileWrite.
func noResult(send func() error) func() (struct{}, error) {
	return func() (struct{}, error) { return struct{}{}, send() }
}

// asCheck adapts a yes/no check to a write without a result.
func asCheck(check func(ctx context.Context) (bool, error)) checkFunc[struct{}] {
	return func(ctx context.Context) (struct{}, bool, error) {
		ok, err := check(ctx)
		return struct{}{}, ok, err
	}
}
