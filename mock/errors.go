package mock

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/mfactl/mfactl/entra"
)

// graphError is a failure with Graph's status, code and message. Handlers
// return it; one writer renders Graph's OData error envelope.
type graphError struct {
	status  int
	code    string
	message string
	headers map[string]string
}

func (e *graphError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func newError(status int, code, format string, args ...any) *graphError {
	return &graphError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

// Error codes as the directory and authentication-methods services use them.
const (
	codeNotFound         = "Request_ResourceNotFound"
	codeBadRequest       = "Request_BadRequest"
	codeUnsupportedQuery = "Request_UnsupportedQuery"
	codeInvalidToken     = "InvalidAuthenticationToken"
	codeDenied           = string(entra.CodeAuthorizationDenied)
	codeConflict         = "conflictingObjects"
	codeInternal         = "generalException"
	codeBadBody          = "BadRequest"
)

func errNotFound(format string, args ...any) *graphError {
	return newError(http.StatusNotFound, codeNotFound, format, args...)
}

func errBadRequest(code, format string, args ...any) *graphError {
	return newError(http.StatusBadRequest, code, format, args...)
}

func errDenied() *graphError {
	return newError(http.StatusForbidden, codeDenied, "Insufficient privileges to complete the operation.")
}

// asGraphError maps any handler error onto a graphError; unexpected errors
// are a 500 so the client sees Graph's shape even for mock bugs.
func asGraphError(err error) *graphError {
	var ge *graphError
	if errors.As(err, &ge) {
		return ge
	}
	return newError(http.StatusInternalServerError, codeInternal, "The mock Graph server failed: %v", err)
}
