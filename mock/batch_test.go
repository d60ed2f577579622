package mock

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzBatchBody: parseBatch never panics and refuses with a 400; the whole
// $batch handler answers 200 with one response per request, or 400 with
// Graph's error body, whatever the body is.
func FuzzBatchBody(f *testing.F) {
	for _, s := range []string{
		`{"requests":[{"id":"1","method":"GET","url":"/me"}]}`,
		`{"requests":[{"id":"1","method":"GET","url":"/users/nobody"},{"id":"2","method":"GET","url":"/me","dependsOn":["1"]}]}`,
		`{"requests":[{"id":"a","method":"PATCH","url":"/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Sms","headers":{"Content-Type":"application/json"},"body":{"state":"enabled"}}]}`,
		`{"requests":[{"id":"b","method":"POST","url":"users?$filter=userType eq 'Guest'","headers":{"content-type":"text/plain"},"body":"aGVsbG8="}]}`,
		`{"requests":[{"id":"c","method":"GET","url":"http://localhost/v1.0/reports/authenticationMethods/usersRegisteredByMethod()"}]}`,
		`{"requests":[{"id":"1","method":"GET","url":"/$batch"}]}`,
		`{"requests":[{"id":"1","method":"GET","url":"/me","dependsOn":["1"]}]}`,
		`{"requests":[]}`, `[]`, `{`, ``, `{"requests":null}`,
	} {
		f.Add([]byte(s))
	}
	srv, err := NewServer(Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	c := testClient{t: f, srv: srv, token: DefaultAdminToken}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := parseBatch(body, "v1.0", "localhost")
		if err != nil {
			var ge *graphError
			if !errors.As(err, &ge) || ge.status != http.StatusBadRequest || ge.message == "" {
				t.Fatalf("parseBatch: %v, want a 400 graphError", err)
			}
		} else {
			if len(items) == 0 || len(items) > maxBatchRequests {
				t.Fatalf("%d items accepted", len(items))
			}
			for i, it := range items {
				for _, d := range it.dependsOn {
					if d >= i {
						t.Fatalf("item %d depends on %d, not an earlier request", i, d)
					}
				}
				if !strings.HasPrefix(it.path, "/") {
					t.Fatalf("path %q", it.path)
				}
			}
		}
		status, b := testClient{t: t, srv: c.srv, token: c.token}.call("POST", "/v1.0/$batch", body)
		switch status {
		case http.StatusOK:
			var res struct {
				Responses []batchResponseItem `json:"responses"`
			}
			if err := json.Unmarshal(b, &res); err != nil || len(res.Responses) != len(items) {
				t.Fatalf("200 with %v, %d responses for %d requests", err, len(res.Responses), len(items))
			}
			// Responses may come in any order (json-batching.md): every
			// request id answered exactly once.
			ids := map[string]bool{}
			for _, it := range items {
				ids[it.id] = true
			}
			for i, r := range res.Responses {
				if !ids[r.ID] || r.Status < 100 {
					t.Fatalf("response %d: %+v", i, r)
				}
				delete(ids, r.ID)
				if len(r.Body) > 0 && r.Headers["Content-Type"] == "" {
					t.Fatalf("response %d has a body but no Content-Type", i)
				}
			}
		case http.StatusBadRequest:
			if err == nil {
				t.Fatalf("the handler refused a batch parseBatch accepted: %s", b)
			}
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if json.Unmarshal(b, &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("400 without Graph's error body: %s", b)
			}
		default:
			t.Fatalf("status %d: %s", status, b)
		}
	})
}
