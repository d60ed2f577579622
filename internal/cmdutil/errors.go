// Package cmdutil holds what every mfactl command shares: the Factory of
// lazy dependencies, exit codes and the one place errors become a line on
// stderr.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"

	"github.com/mfactl/mfactl/internal/exitcode"
)

// Exit codes (DESIGN.md §3), defined once in package exitcode.
const (
	ExitOK       = exitcode.OK
	ExitFailure  = exitcode.Failure
	ExitUsage    = exitcode.Usage
	ExitNotFound = exitcode.NotFound
	ExitAuth     = exitcode.Auth
	ExitPartial  = exitcode.Partial
	// ExitInterrupted follows the shell convention for SIGINT (128+2).
	ExitInterrupted = exitcode.Interrupted
	// ExitTerminated follows the shell convention for SIGTERM (128+15).
	ExitTerminated = exitcode.Terminated
)

// FlagError is a usage problem found while parsing arguments (exit 2).
type FlagError struct{ err error }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{err: fmt.Errorf(format, args...)}
}

// FlagErrorWrap wraps err as a FlagError.
func FlagErrorWrap(err error) error { return &FlagError{err: err} }

func (e *FlagError) Error() string { return e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

// ExitCode is 2.
func (e *FlagError) ExitCode() int { return ExitUsage }

// ExitError carries an explicit exit code and an optional hint.
type ExitError struct {
	Code int
	Err  error
	Hint string
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode returns the code.
func (e *ExitError) ExitCode() int { return e.Code }

// HintText returns the hint.
func (e *ExitError) HintText() string { return e.Hint }

// WithExit wraps err with an exit code and a hint.
func WithExit(code int, err error, hint string) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: code, Err: err, Hint: hint}
}

// Errorf builds an error with an explicit exit code.
func Errorf(code int, format string, args ...any) error {
	return &ExitError{Code: code, Err: fmt.Errorf(format, args...)}
}

// InterruptError is how a run ended by a signal: it is context.Canceled
// (so it prints as "interrupted") and exits 130 for SIGINT, 143 for
// SIGTERM.
type InterruptError struct{ Signal os.Signal }

// Interrupted returns the InterruptError of signal s.
func Interrupted(s os.Signal) error { return &InterruptError{Signal: s} }

func (e *InterruptError) Error() string {
	if e.Signal == nil {
		return "interrupted"
	}
	return "interrupted (" + e.Signal.String() + ")"
}

// Is makes an InterruptError match context.Canceled.
func (e *InterruptError) Is(target error) bool { return target == context.Canceled }

// ExitCode is 143 for SIGTERM, else 130.
func (e *InterruptError) ExitCode() int {
	if e.Signal == syscall.SIGTERM {
		return ExitTerminated
	}
	return ExitInterrupted
}

// InterruptCause returns the InterruptError that ended ctx: its cause when
// that is one, else a SIGINT-like interruption (130).
func InterruptCause(ctx context.Context) error {
	var ie *InterruptError
	if errors.As(context.Cause(ctx), &ie) {
		return ie
	}
	return &InterruptError{}
}

// ErrSilent means the command already told the user what went wrong; only
// the exit code remains. Wrap it with an exit code via WithExit.
var ErrSilent = errors.New("silent error")

// ExitCodeOf maps an error onto an exit code: the error's own ExitCode()
// when any error in the chain has one, 130 for an interrupt, else 1.
func ExitCodeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return coded.ExitCode()
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted
	}
	return ExitFailure
}

// HintOf returns the first hint in the error chain.
func HintOf(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if h, ok := e.(interface{ HintText() string }); ok && h.HintText() != "" {
			return h.HintText()
		}
		// errors.Join (an interrupt beside the command's error): the
		// first of the joined errors that has a hint.
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, je := range j.Unwrap() {
				if hint := HintOf(je); hint != "" {
					return hint
				}
			}
			return ""
		}
	}
	return ""
}

// PrintError writes the error as one line, with its hint after a semicolon.
func PrintError(w io.Writer, err error) {
	if err == nil || errors.Is(err, ErrSilent) {
		return
	}
	if errors.Is(err, context.Canceled) {
		// The run's own words are the signal's; its hint (how to resume,
		// say) still applies.
		msg := "interrupted"
		if hint := HintOf(err); hint != "" {
			msg += "; " + hint
		}
		fmt.Fprintf(w, "mfactl: %s\n", msg)
		return
	}
	msg := oneLine(err.Error())
	if hint := HintOf(err); hint != "" && !strings.Contains(msg, hint) {
		msg += "; " + hint
	}
	fmt.Fprintf(w, "mfactl: %s\n", msg)
	var fe *FlagError
	if errors.As(err, &fe) && !strings.Contains(msg, "--help") {
		fmt.Fprintln(w, "Run with --help for usage.")
	}
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
