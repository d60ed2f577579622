// Package exitcode is the one definition of mfactl's process exit codes
// (README "Exit codes" and "Verification exit codes"). Every layer that
// maps an outcome onto an exit code (cmdutil, graph's errors, the
// verification engine's reasons) refers to these constants.
package exitcode

const (
	// OK: success, or the verification succeeded.
	OK = 0
	// Failure: an error (Graph refused the request, network failure), or a
	// verification rejected (wrong code, expired, denied, ...).
	Failure = 1
	// Usage: usage or bad input, found before any change was made.
	Usage = 2
	// NotFound: unknown user, method, token or challenge.
	NotFound = 3
	// Auth: authentication or permission (401, 403, not signed in), or a
	// user locked or blocked from verifying.
	Auth = 4
	// Partial: throttled, or bulk work partially applied.
	Partial = 5
	// Interrupted: SIGINT (Ctrl-C), 128+2 as shells report it.
	Interrupted = 130
	// Terminated: SIGTERM, 128+15 as shells report it.
	Terminated = 143
)
