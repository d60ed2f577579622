package odata

import "fmt"

// ErrorKind says why a query option was refused; the server maps it to
// its status and error code.
type ErrorKind int

const (
	// Invalid is a malformed or ill-typed option: a syntax error, an
	// unknown property, a literal of the wrong type.
	Invalid ErrorKind = iota + 1
	// Unsupported is well formed, but the resource does not support it: a
	// property or operator the schema does not allow, a page size out of
	// range, a sort the resource cannot do.
	Unsupported
	// NeedsAdvanced is an operator the schema allows only in advanced
	// queries (Operator names it).
	NeedsAdvanced
)

// Error is a refused query option. Message is a readable sentence in
// Graph's wording, except for NeedsAdvanced, whose wording (which names the
// request headers) is the server's.
type Error struct {
	Kind     ErrorKind
	Operator string // NeedsAdvanced: the operator as Graph spells it ("startsWith")
	Message  string
}

func (e *Error) Error() string { return e.Message }

func errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}
