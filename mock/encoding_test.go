package mock_test

import (
	"net/http"
	"testing"

	"github.com/mfactl/mfactl/mock"
)

// TestEveryBodyIsCheckedAgainstItsContentEncoding: a body that is not what
// its Content-Encoding says is refused before anything else can answer,
// even when every request would fail (--fail-rate 1), without a token, and
// on a path that does not exist; an encoding the mock does not take is
// 415 with Graph's error envelope. A body labelled correctly gets past the
// check (and meets whatever comes next).
func TestEveryBodyIsCheckedAgainstItsContentEncoding(t *testing.T) {
	servers := map[string]*mock.Server{}
	for name, opts := range map[string]mock.Options{
		"plain":      {},
		"all faults": {Realism: mock.Realism{FailRate: 1, FailSeed: 3}},
		"throttled":  {Realism: mock.Realism{Throttle: mock.ThrottleGraph}},
	} {
		srv, err := mock.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		servers[name] = srv
	}
	body := []byte(`{"phoneNumber":"+1 4255550199","phoneType":"office"}`)
	path := "/v1.0/users/adele.vance@contoso.example/authentication/phoneMethods"
	tests := []struct {
		name     string
		token    string
		path     string
		encoding string
		body     []byte
		status   int
		code     string
	}{
		{"gzip label, plain body", mock.DefaultAdminToken, path, "gzip", body, 400, "BadRequest"},
		{"gzip label, truncated gzip", mock.DefaultAdminToken, path, "gzip", gzipped(t, body)[:20], 400, "BadRequest"},
		{"no token", "", path, "gzip", body, 400, "BadRequest"},
		{"unknown path", mock.DefaultAdminToken, "/v1.0/nowhere", "gzip", body, 400, "BadRequest"},
		{"batch", mock.DefaultAdminToken, "/v1.0/$batch", "gzip", []byte(`{"requests":[]}`), 400, "BadRequest"},
		{"deflate", mock.DefaultAdminToken, path, "deflate", body, 415, "UnsupportedMediaType"},
		{"br", mock.DefaultAdminToken, path, "br", body, 415, "UnsupportedMediaType"},
	}
	for name, srv := range servers {
		tg := rawTarget{name: name, base: mock.InProcessRoot, client: &http.Client{Transport: srv.Transport()}}
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				r := tg.do(t, tt.token, "POST", tt.path, map[string]string{"Content-Type": "application/json", "Content-Encoding": tt.encoding}, tt.body)
				code, msg := r.errorOf(t)
				if r.status != tt.status || code != tt.code || msg == "" {
					t.Errorf("HTTP %d %s %q, want %d %s", r.status, code, msg, tt.status, tt.code)
				}
			})
		}
		if name != "plain" {
			continue
		}
		// Correctly labelled bodies pass the check.
		for _, enc := range []string{"", "identity", "gzip"} {
			b := body
			if enc == "gzip" {
				b = gzipped(t, body)
			}
			r := tg.do(t, mock.DefaultAdminToken, "POST", path, map[string]string{"Content-Type": "application/json", "Content-Encoding": enc}, b)
			if r.status != http.StatusCreated {
				t.Errorf("%q body: HTTP %d %s", enc, r.status, r.body)
			}
			tg.do(t, mock.DefaultAdminToken, "DELETE", path+"/e37fc753-ff3b-4958-9484-eaa9425c82bc", nil, nil)
		}
	}
}
