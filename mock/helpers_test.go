package mock

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/mock/store"
)

// rawClient sends plain HTTP requests to a server, in-process or over TCP.
type rawClient struct {
	t    *testing.T
	c    *http.Client
	base string
}

func inProcessClient(t *testing.T, s *Server) rawClient {
	return rawClient{t: t, c: &http.Client{Transport: s.Transport()}, base: InProcessRoot}
}

func tcpClient(t *testing.T, s *Server) rawClient {
	t.Helper()
	if s.URL() == "" {
		if err := s.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	return rawClient{t: t, c: &http.Client{Timeout: 30 * time.Second}, base: s.URL()}
}

type rawResponse struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
	err    error
}

func (rc rawClient) send(method, path, token, body string) rawResponse {
	rc.t.Helper()
	var rdr io.Reader
	if body != "" {
		rdr = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rc.base+path, rdr)
	if err != nil {
		rc.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := rc.c.Do(req)
	if err != nil {
		return rawResponse{err: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := rawResponse{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out.body); err != nil {
			rc.t.Fatalf("%s %s: body is not JSON: %q", method, path, b)
		}
	}
	return out
}

// do is send for requests that must reach the server.
func (rc rawClient) do(method, path, token, body string) rawResponse {
	rc.t.Helper()
	r := rc.send(method, path, token, body)
	if r.err != nil {
		rc.t.Fatalf("%s %s: %v", method, path, r.err)
	}
	return r
}

// errorCode is the OData error code of a response, or "".
func (r rawResponse) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func newServer(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func statePath(t *testing.T) string { return filepath.Join(t.TempDir(), "state.db") }

// fakeClock is a settable clock for deterministic tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// changeUser rewrites one user through putUser (so every index follows),
// as the endpoints that change users do; change edits the record.
func changeUser(t *testing.T, st store.Store, ref string, change func(u *userRecord)) {
	t.Helper()
	if err := st.Update(func(tx store.Tx) error {
		u, err := getUser(tx, ref)
		if err != nil {
			return err
		}
		change(u)
		return putUser(tx, u)
	}); err != nil {
		t.Fatal(err)
	}
}
