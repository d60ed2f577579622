package graph

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestEmulatorClientRequestsAndErrors(t *testing.T) {
	var gotAuth, gotBody, gotUA string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth, gotUA = r.Header.Get("Authorization"), r.Header.Get("User-Agent")
		// mfactl sends request bodies uncompressed (graph/retry.go).
		if enc := r.Header.Get("Content-Encoding"); enc != "" {
			t.Errorf("Content-Encoding %q", enc)
		}
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		switch r.URL.Path {
		case "/_mock/clock":
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"now":"2025-06-01T12:15:00Z","realNow":"2025-06-01T12:00:00Z","offsetSeconds":900,"offset":"+15m0s"}`))
		case "/_mock/reset":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("request-id", "rid-1")
			w.WriteHeader(403)
			w.Write([]byte(`{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges.","innerError":{"date":"2025-06-01T12:00:00","request-id":"rid-1"}}}`))
		case "/_mock/health":
			w.Write([]byte(`<html>not the mock</html>`))
		default:
			w.WriteHeader(404)
			w.Write([]byte(`<html>no</html>`))
		}
	}))
	defer srv.Close()
	c, err := New(Options{Root: srv.URL, Credential: StaticToken("tok"), Version: "1.2.3", Transport: srv.Client().Transport})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	clock, err := c.Emulator().AdvanceClock(ctx, 15*time.Minute)
	if err != nil || clock.OffsetSeconds != 900 || clock.Now.Sub(clock.RealNow) != 15*time.Minute {
		t.Fatalf("advance: %+v %v", clock, err)
	}
	if gotAuth != "Bearer tok" || !strings.HasPrefix(gotUA, "mfactl/1.2.3") {
		t.Errorf("headers: auth %q, user agent %q", gotAuth, gotUA)
	}
	if gotBody == "" {
		t.Error("no request body")
	}

	_, err = c.Emulator().Reset(ctx, 100, 4)
	var ge *Error
	if !errors.As(err, &ge) || ge.Status != 403 || ge.Code != "Authorization_RequestDenied" || ge.RequestID != "rid-1" || ge.ExitCode() != 4 || !strings.Contains(ge.Hint, "admin token") {
		t.Errorf("403: %#v", err)
	}
	_, err = c.Emulator().Health(ctx)
	if !errors.As(err, &ge) || ge.Status != 200 || !strings.Contains(ge.Error(), "is this mfactl's mock server") {
		t.Errorf("not JSON: %v", err)
	}
	_, err = c.Emulator().SetClockOffset(ctx, 0)
	if err != nil {
		t.Errorf("set offset: %v", err)
	}
	if gotBody != `{"offsetSeconds":0}` {
		t.Errorf("set-offset body %q", gotBody)
	}
	srv.Config.Handler = http.NotFoundHandler()
	_, err = c.Emulator().Clock(ctx)
	if !errors.As(err, &ge) || ge.Status != 404 || ge.ExitCode() != 3 || ge.Advice != AdviceNotEmulator {
		t.Errorf("404: %v (advice %q)", err, ge.Advice)
	}
}
