// Package iostreams owns the terminal: data goes to Out; progress, warnings
// and prompts go to ErrOut; colour, prompts and progress bars only on a TTY.
// Commands never write to os.Stdout directly, so tests can capture them.
package iostreams

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IOStreams bundles the standard streams and what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	width     int
	// neverPrompt is set when CI is: a CI job with a pseudo-terminal must
	// still never hang on a question.
	neverPrompt bool

	// reader buffers In across prompts so no typed-ahead input is lost.
	reader *bufio.Reader
}

// System returns the streams of this process.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	s.stdinTTY = isTerminal(os.Stdin)
	s.stdoutTTY = isTerminal(os.Stdout)
	s.stderrTTY = isTerminal(os.Stderr)
	s.neverPrompt = os.Getenv("CI") != ""
	if s.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			s.width = w
		}
	}
	return s
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// Test returns streams backed by buffers: stdin, stdout and stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// SetTTY marks all three streams as terminals (or not); for tests.
func (s *IOStreams) SetTTY(tty bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = tty, tty, tty
}

// IsStdinTTY reports whether input comes from a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether data output goes to a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether diagnostics go to a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// CanPrompt reports whether the user can answer questions: both stdin and
// stderr must be terminals, and (for the process's own streams) CI must not
// be set.
func (s *IOStreams) CanPrompt() bool {
	return s.stdinTTY && s.stderrTTY && !s.neverPrompt
}

// TerminalWidth is the width of stdout when it is a terminal, else 0.
func (s *IOStreams) TerminalWidth() int { return s.width }

// Warnf prints a warning line to ErrOut.
func (s *IOStreams) Warnf(format string, args ...any) {
	fmt.Fprintf(s.ErrOut, "warning: "+format+"\n", args...)
}

// Notef prints an informational line to ErrOut.
func (s *IOStreams) Notef(format string, args ...any) {
	fmt.Fprintf(s.ErrOut, format+"\n", args...)
}

// ErrNoTTY is returned when a question needs an answer and nobody can give it.
var ErrNoTTY = errors.New("cannot prompt: no terminal")

// Confirm asks a yes/no question on the terminal. Without a terminal it
// returns ErrNoTTY so the caller can ask for --yes instead.
func (s *IOStreams) Confirm(question string) (bool, error) {
	if !s.CanPrompt() {
		return false, ErrNoTTY
	}
	fmt.Fprintf(s.ErrOut, "%s [y/N]: ", question)
	line, err := s.readLine()
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}

// Prompt reads one line from the terminal after printing a question.
func (s *IOStreams) Prompt(question string) (string, error) {
	if !s.CanPrompt() {
		return "", ErrNoTTY
	}
	fmt.Fprintf(s.ErrOut, "%s: ", question)
	line, err := s.readLine()
	if err := endOfInput(line, err); err != nil {
		return "", err
	}
	return strings.TrimSpace(line), nil
}

// ErrEndOfInput is returned by the prompts when input ends (Ctrl-D, a
// closed pipe) before anything was typed, so a question is never asked
// again and again of a stream that has nothing more to say.
var ErrEndOfInput = errors.New("input ended before an answer was given")

func endOfInput(line string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) && line == "":
		return ErrEndOfInput
	case errors.Is(err, io.EOF):
		return nil
	}
	return err
}

func (s *IOStreams) readLine() (string, error) {
	if s.reader == nil {
		s.reader = bufio.NewReader(s.In)
	}
	return s.reader.ReadString('\n')
}

// PromptSecret asks for a secret (a PIN, an answer, a pass) on the
// terminal without echoing it: the terminal's echo is turned off for the
// line with term.ReadPassword on stdin's descriptor. Without a terminal it
// returns ErrNoTTY; when In is not a file (tests) it reads a line.
func (s *IOStreams) PromptSecret(question string) (string, error) {
	if !s.CanPrompt() {
		return "", ErrNoTTY
	}
	fmt.Fprintf(s.ErrOut, "%s: ", question)
	if f, ok := s.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) && (s.reader == nil || s.reader.Buffered() == 0) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.ErrOut)
		if err := endOfInput(string(b), err); err != nil {
			return "", err
		}
		return string(b), nil
	}
	line, err := s.readLine()
	if err := endOfInput(line, err); err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
