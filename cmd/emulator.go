package cmd

import (
	"context"
	"errors"
	"net/http"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/methods"
)

// The verbs that steer the mock's emulator (enroll, verify, reset's
// verification, mock health/reset/clock/outbox/device/code, mock signin)
// open it here: each lists IO, Graph, Backend and Printer in its Options and
// passes what it uses.

// openEmulator resolves the printer and the client, and refuses real Graph,
// which has no emulator to steer. A nil backend (tests) is the mock's.
func openEmulator(verb string, newPrinter func() (*output.Printer, error), newClient func() (*graph.Client, error), backend func() cmdutil.Backend) (*graph.Emulator, *output.Printer, error) {
	printer, err := newPrinter()
	if err != nil {
		return nil, nil, err
	}
	client, err := newClient()
	if err != nil {
		return nil, nil, err
	}
	if backend != nil && backend().Kind == "graph" {
		return nil, nil, cmdutil.Errorf(cmdutil.ExitUsage, "`mfactl %s` steers mfactl's mock server, and real Microsoft Graph has none: add --mock, or --endpoint for a `mock serve`", verb)
	}
	return client.Emulator(), printer, nil
}

// withNotFoundHint gives a 404 from the emulator the hint of the command
// that starts what was missing: the mock states the fact, cmd names the
// command.
func withNotFoundHint(err error, hint string) error {
	var ge *graph.Error
	if errors.As(err, &ge) && ge.Status == http.StatusNotFound {
		ge.Hint = hint
	}
	return err
}

// openEmulatorForUser opens the emulator as openEmulator does and reads the
// user ref names.
func openEmulatorForUser(ctx context.Context, verb, ref string, newPrinter func() (*output.Printer, error), newClient func() (*graph.Client, error), backend func() cmdutil.Backend) (*graph.Emulator, *output.Printer, methods.User, error) {
	em, printer, err := openEmulator(verb, newPrinter, newClient, backend)
	if err != nil {
		return nil, nil, methods.User{}, err
	}
	if err := graph.ValidateUserRef(ref); err != nil {
		return nil, nil, methods.User{}, err
	}
	client, err := newClient()
	if err != nil {
		return nil, nil, methods.User{}, err
	}
	u, err := client.GetUser(ctx, ref)
	return em, printer, u, err
}
