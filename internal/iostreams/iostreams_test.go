package iostreams

import (
	"errors"
	"testing"
)

func TestConfirm(t *testing.T) {
	tests := []struct {
		input string
		tty   bool
		want  bool
		err   error
	}{
		{"y\n", true, true, nil},
		{"YES\n", true, true, nil},
		{"n\n", true, false, nil},
		{"\n", true, false, nil},
		{"", true, false, nil},
		{"y\n", false, false, ErrNoTTY},
	}
	for _, tt := range tests {
		ios, in, _, errOut := Test()
		ios.SetTTY(tt.tty)
		in.WriteString(tt.input)
		got, err := ios.Confirm("Remove it?")
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("%q tty=%v: %v %v", tt.input, tt.tty, got, err)
		}
		if tt.tty && errOut.String() != "Remove it? [y/N]: " {
			t.Errorf("prompt %q", errOut.String())
		}
	}
}

func TestPromptsKeepTypedAheadInput(t *testing.T) {
	ios, in, _, _ := Test()
	ios.SetTTY(true)
	in.WriteString("first\nsecret \n")
	a, _ := ios.Prompt("one")
	b, _ := ios.PromptSecret("two")
	if a != "first" || b != "secret " {
		t.Errorf("got %q %q", a, b)
	}
}

func TestTestStreamsIgnoreCI(t *testing.T) {
	t.Setenv("CI", "true")
	ios, _, _, _ := Test()
	ios.SetTTY(true)
	if !ios.CanPrompt() {
		t.Error("test streams marked as terminals must prompt even under CI")
	}
	if System().CanPrompt() {
		t.Error("the process's streams must never prompt under CI")
	}
}

func TestPromptsReportEndOfInput(t *testing.T) {
	ios, in, _, _ := Test()
	ios.SetTTY(true)
	in.WriteString("last")
	if got, err := ios.Prompt("q"); got != "last" || err != nil {
		t.Errorf("a final line without newline: %q %v", got, err)
	}
	if _, err := ios.Prompt("q"); !errors.Is(err, ErrEndOfInput) {
		t.Errorf("Prompt at end of input: %v", err)
	}
	if _, err := ios.PromptSecret("q"); !errors.Is(err, ErrEndOfInput) {
		t.Errorf("PromptSecret at end of input: %v", err)
	}
}
