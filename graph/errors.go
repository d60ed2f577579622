package graph

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/internal/exitcode"
	"github.com/mfactl/mfactl/internal/permissions"
)

// Error is a failed Graph request translated into one readable line: what
// mfactl was doing, what Graph said, and what to do about it.
type Error struct {
	// Op is what mfactl was doing, e.g. `list methods of adele@contoso.example`.
	Op string
	// Status is the HTTP status (0 when no response arrived).
	Status int
	// Code and Message come from Graph's OData error body.
	Code    string
	Message string
	// RequestID and Date identify the request in Microsoft's logs.
	RequestID string
	Date      string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Hint tells the user how to fix it.
	Hint string
	// Advice names the situation when what to do next is a command of the
	// CLI, which cmd phrases (Hint is then empty); see advice.go.
	Advice Advice
	// Access is the kind of access the request needed (its entry in
	// internal/permissions), for the hint of a 403.
	Access permissions.Access
	// AuthFailed is set when no token could be obtained (sign-in needed or
	// refused): exit code 4 like a 401.
	AuthFailed bool
	// Err is the underlying error.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(": ")
	}
	msg := e.Message
	if msg == "" && e.Err != nil && e.Status == 0 {
		msg = e.Err.Error()
	}
	if msg == "" {
		msg = "request failed"
	}
	b.WriteString(strings.TrimRight(msg, "."))
	var detail []string
	if e.Status != 0 {
		d := "HTTP " + strconv.Itoa(e.Status)
		if e.Code != "" {
			d += " " + e.Code
		}
		detail = append(detail, d)
	}
	if e.RequestID != "" {
		detail = append(detail, "request-id "+e.RequestID)
	}
	if len(detail) > 0 {
		b.WriteString(" (" + strings.Join(detail, ", ") + ")")
	}
	return b.String()
}

// Unwrap returns the underlying SDK or transport error.
func (e *Error) Unwrap() error { return e.Err }

// HintText is how to fix the problem, or "".
func (e *Error) HintText() string { return e.Hint }

// ExitCode maps the failure onto mfactl's exit codes: 3 not found, 4
// authentication or permission, 5 throttled, 1 anything else.
func (e *Error) ExitCode() int {
	switch {
	case e.Status == 404:
		return exitcode.NotFound
	case e.Status == 401 || e.Status == 403 || e.AuthFailed:
		return exitcode.Auth
	case e.Status == 429:
		return exitcode.Partial
	}
	return exitcode.Failure
}

// IsNotFound reports whether err is a Graph 404.
func IsNotFound(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.Status == 404
}

// StatusOf returns the HTTP status of a Graph error, or 0.
func StatusOf(err error) int {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Status
	}
	return 0
}

// CodeOf returns the OData error code of a Graph error, or "".
func CodeOf(err error) string {
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	return ""
}

// RuleOf returns the Entra rule a failed request broke (its OData code, when
// the code is one of package entra's), or "". cmd phrases the hint.
func RuleOf(err error) entra.Code {
	if c := CodeOf(err); entra.Known(c) {
		return entra.Code(c)
	}
	return ""
}

// RoleHint is the kind of access an operation needs: its entry in the
// permissions table (internal/permissions). A failed request carries it in
// Error.Access, and cmd turns a 403 into a hint naming the permission or
// role the table says is missing; graph itself phrases no role.
type RoleHint = permissions.Access

// The access kinds of the operations mfactl performs.
const (
	RoleReadMethods   = permissions.ReadMethods
	RoleWriteMethods  = permissions.WriteMethods
	RoleReadUsers     = permissions.ReadUsers
	RoleReports       = permissions.ReadReports
	RoleSessions      = permissions.RevokeSessions
	RolePolicyRead    = permissions.ReadPolicy
	RoleReadMFAState  = permissions.ReadMFAState
	RoleWriteMFAState = permissions.WriteMFAState
	RoleReadTokens    = permissions.ReadTokens
	// RolePolicy is writing the hardware token inventory.
	RolePolicy    = permissions.WriteTokens
	RoleDirectory = permissions.ReadRoles
	RoleOwnRoles  = permissions.ReadOwnRoles
)

// wrap translates any error from the SDK into *Error.
func wrap(op string, role RoleHint, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Op: op, Err: err}
	var ou *OutcomeUnknownError
	if errors.As(err, &ou) {
		return unknownError(e, ou)
	}
	var oe *odataerrors.ODataError
	var ae *abs.ApiError
	var authRequired *azidentity.AuthenticationRequiredError
	var authFailed *azidentity.AuthenticationFailedError
	var signIn *SignInFailure
	switch {
	case errors.As(err, &authRequired):
		e.AuthFailed = true
		e.Message = "not signed in"
		e.Advice = AdviceNotSignedIn
		return e
	case errors.As(err, &signIn):
		// Entra's whole answer: the AADSTS code and description (cmd adds
		// a hint for the codes it knows).
		e.AuthFailed = true
		e.Message = signIn.Error()
		e.Advice = AdviceSignInFailed
		return e
	case errors.As(err, &authFailed):
		e.AuthFailed = true
		e.Message = "sign-in failed: " + credentialMessage(authFailed.Error())
		e.Advice = AdviceSignInFailed
		return e
	case errors.As(err, &oe):
		e.Status = oe.ResponseStatusCode
		// ODataError.Error() dereferences a nil message and panics, so read
		// every field through its getter and check for nil.
		if me := oe.GetErrorEscaped(); me != nil {
			e.Code = deref(me.GetCode())
			e.Message = deref(me.GetMessage())
			if ie := me.GetInnerError(); ie != nil {
				e.RequestID = deref(ie.GetRequestId())
				if d := ie.GetDate(); d != nil {
					e.Date = d.UTC().Format(time.RFC3339)
				}
			}
		}
		if oe.ResponseHeaders != nil {
			if e.RequestID == "" {
				e.RequestID = first(oe.ResponseHeaders.Get("request-id"))
			}
			e.RetryAfter = parseRetryAfter(first(oe.ResponseHeaders.Get("retry-after")))
		}
	case errors.As(err, &ae):
		e.Status = ae.ResponseStatusCode
		e.Message = http2text(ae.ResponseStatusCode)
		if ae.ResponseHeaders != nil {
			e.RequestID = first(ae.ResponseHeaders.Get("request-id"))
			e.RetryAfter = parseRetryAfter(first(ae.ResponseHeaders.Get("retry-after")))
		}
	}
	if e.Message == "" && e.Status != 0 {
		e.Message = http2text(e.Status)
	}
	e.Access = role
	e.Hint = hintFor(e)
	return e
}

func hintFor(e *Error) string {
	if entra.Known(e.Code) {
		// A broken Entra rule: graph returns the code (RuleOf) and cmd
		// phrases the hint; the status's generic hint (a 429's "wait")
		// would mislead.
		return ""
	}
	if h, ok := resyncHints[e.Code]; ok {
		return h
	}
	switch {
	case e.Status == 401:
		e.Advice = AdviceTokenRejected // cmd phrases it
		return ""
	case e.Status == 403:
		return "" // cmd names the permission or role (Error.Access)
	case e.Status == 404:
		return "check the user principal name or object id"
	case e.Status == 429:
		return "Graph is throttling this app; wait a little and run the command again"
	case e.Status >= 500:
		return "Graph had a transient problem; run the command again"
	case e.Status == 0:
		var unknownCA x509.UnknownAuthorityError
		switch {
		case errors.As(e.Err, &unknownCA):
			e.Advice = AdviceUntrustedCertificate
			return ""
		case errors.Is(e.Err, syscall.ECONNREFUSED):
			e.Advice = AdviceNothingListening
			return ""
		}
		return transportHint(e.Err)
	}
	return ""
}

func transportHint(err error) string {
	var ue *url.Error
	var badHost x509.HostnameError
	switch {
	case errors.As(err, &badHost):
		return "the server's certificate is for another host name: use a host it names in --endpoint (a mock's certificate names 127.0.0.1, ::1 and localhost)"
	case errors.Is(err, context.DeadlineExceeded):
		return "the request timed out; check the network and run the command again"
	case errors.As(err, &ue):
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return "the host name does not resolve: check --endpoint or the network"
		}
		return "check the network and --endpoint"
	}
	return ""
}

func http2text(status int) string {
	switch status {
	case 400:
		return "the request was refused as invalid"
	case 401:
		return "not authenticated"
	case 403:
		return "access denied"
	case 404:
		return "not found"
	case 409:
		return "conflict"
	case 429:
		return "too many requests"
	case 500:
		return "internal server error"
	case 503:
		return "service unavailable"
	case 504:
		return "gateway timeout"
	}
	return fmt.Sprintf("HTTP status %d", status)
}

func parseRetryAfter(s string) time.Duration {
	if s == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := time.Parse(time.RFC1123, s); err == nil {
		return time.Until(t)
	}
	return 0
}

func firstLine(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "-") {
			return line
		}
	}
	return strings.TrimSpace(s)
}

func first(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	return vals[0]
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
