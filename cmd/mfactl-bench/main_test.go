package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/mock"
)

func TestBenchAgainstTheMock(t *testing.T) {
	srv, err := mock.NewServer(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = run(context.Background(), []string{"-url", srv.URL(), "-clients", "4", "-duration", "200ms", "-users", "5"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	report := out.String()
	for _, want := range []string{"GET /v1.0/users/{user}/authentication/methods, 4 clients", "requests:", "(200: ", "latency:    p50 "} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "transport error") || strings.Contains(report, "404") {
		t.Errorf("failed requests:\n%s", report)
	}
	if err := run(context.Background(), []string{"-clients", "0"}, &out); err == nil {
		t.Error("-clients 0 accepted")
	}
}
