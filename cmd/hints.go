package cmd

import (
	"errors"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/mock"
)

// adviceHints phrase, with the command to run, the situations graph names
// by an Advice code: the lower layers state facts, cmd speaks the CLI.
var adviceHints = map[graph.Advice]string{
	graph.AdviceNoSuchMethod:         "`mfactl methods list <user>` shows what the user has registered; `mfactl verify <user>` without --method offers those methods",
	graph.AdviceNotEmulator:          "this server has no such /_mock/ endpoint: is it mfactl's mock server (`mfactl mock serve`), as recent as this mfactl?",
	graph.AdviceNoSuchToken:          "`mfactl token list` shows the inventory",
	graph.AdviceSerialNotInInventory: "`mfactl token list` shows the inventory; `mfactl token import` adds tokens",
	graph.AdviceNoTokenEmulator:      "this endpoint is not an mfactl mock: token check works against `mfactl mock serve` or --mock only",
	graph.AdviceMethodGone:           "the method does not exist (any more): list the user's methods with `mfactl methods list <user>`",
	graph.AdviceNotSignedIn:          "run `mfactl auth login` (or configure an app credential: see `mfactl auth --help`)",
	graph.AdviceSignInFailed:         "check tenant-id, client-id and the credential, then run `mfactl auth login`",
	graph.AdviceTokenRejected:        "the access token was rejected: run `mfactl auth login` (for --endpoint or --mock, check MFACTL_TOKEN)",
	graph.AdviceUntrustedCertificate: "the server's certificate is not trusted: give its PEM file with --ca-cert or MFACTL_CA_CERT (for `mfactl mock serve --tls`, the file --tls-cert-out wrote)",
	graph.AdviceNothingListening:     "nothing is listening there: is `mfactl mock serve` running, and is --endpoint right?",
}

// withAdviceHint gives a Graph error that names an Advice and has no hint
// the hint of that advice (in place, so every reader of the error sees it).
func withAdviceHint(err error) error {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Hint == "" {
		ge.Hint = adviceHints[ge.Advice]
	}
	return withFactHint(err)
}

// withFactHint gives the facts lower layers state as typed errors (a mock
// state's missing directory or tenant) the hint that names the command.
func withFactHint(err error) error {
	var se *cmdutil.StateDirError
	var hint string
	switch {
	case errors.As(err, &se):
		hint = "create it first, or create the state with `mfactl mock seed --state " + se.Path + "`"
	case errors.Is(err, mock.ErrNoTenant):
		hint = "seed it with `mfactl mock seed` or delete the state file"
	default:
		return err
	}
	if cmdutil.HintOf(err) != "" {
		return err
	}
	return cmdutil.WithExit(cmdutil.ExitCodeOf(err), err, hint)
}
