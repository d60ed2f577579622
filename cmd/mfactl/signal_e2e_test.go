//go:build unix

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// A run ended by a signal exits as shells report it: 130 for SIGINT, 143
// for SIGTERM. The run waits on a push nobody answers; the signal is sent
// once its --debug trace shows it is past start-up (so its handler is in
// place).
func TestSignalsGiveTheirExitCodes(t *testing.T) {
	e := newEnv(t)
	const adele = "adele.vance@contoso.example"
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			r := e.run(nil, "--mock", "verify", adele, "--method", "push", "--send", "-o", "json")
			var sent struct{ Challenge struct{ ID string } }
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &sent) != nil {
				t.Fatalf("send: %d %s", r.code, r.stderr)
			}
			cmd := exec.Command(binary, "--mock", "--debug", "verify", adele, "--challenge", sent.Challenge.ID, "--wait", "--timeout", "10m")
			cmd.Env = e.vars
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stderr)
			var rest bytes.Buffer
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "> GET") {
					break
				}
			}
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			for sc.Scan() {
				rest.WriteString(sc.Text() + "\n")
			}
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("%s: %v, want exit %d\n%s", tc.sig, err, tc.code, rest.String())
			}
			if !strings.Contains(rest.String(), "mfactl: interrupted") {
				t.Errorf("no interrupted line:\n%s", rest.String())
			}
		})
	}
}
