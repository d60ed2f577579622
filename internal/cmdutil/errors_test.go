package cmdutil

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestExitCodeOf(t *testing.T) {
	failed := Errorf(ExitFailure, "graph said no")
	for _, tc := range []struct {
		name string
		err  error
		code int
		line string
	}{
		{"nil", nil, 0, ""},
		{"plain", errors.New("boom"), 1, "mfactl: boom\n"},
		{"usage", FlagErrorf("bad -o"), 2, "mfactl: bad -o\nRun with --help for usage.\n"},
		{"coded with hint", WithExit(ExitAuth, errors.New("denied"), "ask for a role"), 4, "mfactl: denied; ask for a role\n"},
		{"canceled", context.Canceled, 130, "mfactl: interrupted\n"},
		{"SIGINT over a failure", errors.Join(Interrupted(os.Interrupt), failed), 130, "mfactl: interrupted\n"},
		{"SIGTERM over a failure", errors.Join(Interrupted(syscall.SIGTERM), failed), 143, "mfactl: interrupted\n"},
		{"a cause-less interrupt", errors.Join(InterruptCause(context.Background()), failed), 130, "mfactl: interrupted\n"},
		{"an interrupt keeps the run's hint", errors.Join(Interrupted(os.Interrupt), WithExit(ExitPartial, errors.New("3 of 9 applied"), "run the same command again to continue")), 130, "mfactl: interrupted; run the same command again to continue\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExitCodeOf(tc.err); got != tc.code {
				t.Errorf("exit %d, want %d", got, tc.code)
			}
			var b bytes.Buffer
			PrintError(&b, tc.err)
			if b.String() != tc.line {
				t.Errorf("printed %q, want %q", b.String(), tc.line)
			}
		})
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(Interrupted(syscall.SIGTERM))
	if got := ExitCodeOf(InterruptCause(ctx)); got != ExitTerminated {
		t.Errorf("the cause of a SIGTERM-canceled context exits %d", got)
	}
}

type hinted struct{ hint string }

func (h hinted) Error() string    { return "failed" }
func (h hinted) HintText() string { return h.hint }

func TestHintOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"none", errors.New("x"), ""},
		{"direct", hinted{"run this"}, "run this"},
		{"wrapped", fmt.Errorf("op: %w", hinted{"run this"}), "run this"},
		{"joined, second has it", errors.Join(errors.New("interrupted"), fmt.Errorf("op: %w", hinted{"run this"})), "run this"},
		{"joined, first wins", errors.Join(hinted{"first"}, hinted{"second"}), "first"},
		{"joined, none", errors.Join(errors.New("a"), errors.New("b")), ""},
	}
	for _, tt := range tests {
		if got := HintOf(tt.err); got != tt.want {
			t.Errorf("%s: HintOf = %q, want %q", tt.name, got, tt.want)
		}
	}
}
