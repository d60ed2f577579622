package graph

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/methods/verify"
)

// A verdict in a 200 answer becomes a *VerdictError with the engine's
// message, hint and exit code; an HTTP error stays an *Error.
func TestEmulatorVerdictsAndErrors(t *testing.T) {
	var gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		gotPath = r.URL.EscapedPath()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/code"):
			w.Write([]byte(`{"challenge":{"id":"c1","state":"sent","attempts":1,"maxAttempts":3},"verdict":{"reason":"wrongCode","message":"wrong code; 2 attempts left","hint":"check it and try again","attemptsLeft":2}}`))
		case strings.HasSuffix(r.URL.Path, "/keys"):
			w.Write([]byte(`{"challenge":{"id":"c1","state":"locked"},"verdict":{"reason":"locked","message":"the user is locked","hint":"try again after 10:15"}}`))
		case strings.HasSuffix(r.URL.Path, "/pin"):
			w.Write([]byte(`{"verdict":{"reason":"policy","message":"a PIN cannot be one digit repeated"}}`))
		case strings.HasSuffix(r.URL.Path, "/answers"):
			w.Write([]byte(`{"challenge":{"id":"c1","state":"verified"}}`))
		default:
			w.WriteHeader(404)
			w.Write([]byte(`{"error":{"code":"Request_ResourceNotFound","message":"The emulator has no challenge 'zz'.","innerError":{"request-id":"r1"}}}`))
		}
	}))
	defer srv.Close()
	c, err := New(Options{Root: srv.URL, Credential: StaticToken("tok"), Transport: srv.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	em, ctx := c.Emulator(), context.Background()

	res, err := em.SubmitCode(ctx, "c1", "000000")
	var ve *VerdictError
	if !errors.As(err, &ve) || ve.ExitCode() != 1 || ve.HintText() != "check it and try again" || ve.Challenge.ID != "c1" || res.Challenge.Attempts != 1 {
		t.Fatalf("wrong code: %v %+v", err, res)
	}
	if verify.ReasonOf(err) != verify.ReasonWrongCode || ReasonOf(err) != verify.ReasonWrongCode || gotPath != "/_mock/verify/challenges/c1/code" {
		t.Errorf("reason %s, path %s", ReasonOf(err), gotPath)
	}
	if _, err = em.PressKeys(ctx, "c1", "1#"); !errors.As(err, &ve) || ve.ExitCode() != 4 {
		t.Errorf("locked: %v", err)
	}
	if err = em.RegisterPIN(ctx, "kim@contoso.example", "1111"); !errors.As(err, &ve) || ve.ExitCode() != 2 || gotPath != "/_mock/users/kim@contoso.example/pin" {
		t.Errorf("policy: %v (%s)", err, gotPath)
	}
	if res, err = em.AnswerQuestions(ctx, "c1", []string{"a"}); err != nil || res.Challenge.State != verify.StateVerified {
		t.Errorf("verified: %v", err)
	}
	_, err = em.Challenge(ctx, "zz")
	var ge *Error
	if !errors.As(err, &ge) || ge.ExitCode() != 3 || strings.Contains(ge.Hint, "/_mock/ endpoint") {
		t.Errorf("unknown challenge: %v (hint %q)", err, ge.Hint)
	}
}
