package mock

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
)

// JSON batching: POST /v1.0/$batch and /beta/$batch.
//
// The whole batch is checked before anything runs, so a malformed batch
// (not JSON, no requests, more than 20, a request without id, method or
// url, duplicate ids, a dependsOn naming an id that does not come earlier,
// a body without a Content-Type header, a nested $batch, a URL on another
// server) is a 400 and nothing in it is applied. Then each request runs
// through the server's own handler (s.serveInner): same router, the outer
// bearer token, the same Graph version, its own request id. Requests run
// as soon as their dependencies have finished, up to batchConcurrency at a
// time, so independent requests run concurrently and dependent ones in
// order; a request whose dependency failed (status >= 400) is not run and
// gets 424 Failed Dependency. Responses come back in a seeded random order
// (request order with BatchOrderRequest; see fidelity.go), each
// with headers {"Content-Type": ...} spelled exactly so (the Go SDK decodes
// an inner body only then) and no body for a 204.

// Limits of a batch.
const (
	maxBatchRequests = 20
	batchConcurrency = 4
)

// batchInnerKey marks the context of a request served inside a batch.
type batchInnerKey struct{}

// batchItem is one validated request of a batch.
type batchItem struct {
	id        string
	method    string
	path      string // relative to the version root, with a leading "/"
	rawQuery  string
	headers   http.Header
	body      []byte
	hasBody   bool
	dependsOn []int // indexes of earlier requests
}

// batchResponseItem is one entry of "responses".
type batchResponseItem struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

func (s *Server) batchRoutes(rt *router) {
	rt.add("POST", "/$batch", s.batch)
}

func errBatch(format string, args ...any) error {
	return errBadRequest(codeBadBody, format, args...)
}

// parseBatch validates a batch body. host is the outer request's host, for
// absolute URLs on this server.
func parseBatch(body []byte, version, host string) ([]batchItem, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errBatch("Empty batch payload: send {\"requests\":[...]}.")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, errBatch("Invalid batch payload: %s.", strings.TrimPrefix(err.Error(), "json: "))
	}
	rawReqs, ok := top["requests"]
	if !ok {
		return nil, errBatch("Invalid batch payload: the property 'requests' is missing.")
	}
	var reqs []json.RawMessage
	if err := json.Unmarshal(rawReqs, &reqs); err != nil || reqs == nil {
		return nil, errBatch("Invalid batch payload: 'requests' must be an array of requests.")
	}
	if len(reqs) == 0 {
		return nil, errBatch("Invalid batch payload: 'requests' is empty.")
	}
	if len(reqs) > maxBatchRequests {
		return nil, errBatch("The batch has %d requests; a batch holds at most %d.", len(reqs), maxBatchRequests)
	}
	items := make([]batchItem, len(reqs))
	index := map[string]int{} // lower-case id -> position: ids are not case-sensitive
	for i, raw := range reqs {
		var rq struct {
			ID        *string           `json:"id"`
			Method    *string           `json:"method"`
			URL       *string           `json:"url"`
			Headers   map[string]string `json:"headers"`
			Body      json.RawMessage   `json:"body"`
			DependsOn []string          `json:"dependsOn"`
		}
		if err := json.Unmarshal(raw, &rq); err != nil {
			return nil, errBatch("Invalid request %d of the batch: %s.", i+1, strings.TrimPrefix(err.Error(), "json: "))
		}
		if rq.ID == nil || strings.TrimSpace(*rq.ID) == "" {
			return nil, errBatch("Request %d of the batch has no id.", i+1)
		}
		it := &items[i]
		it.id = *rq.ID
		key := strings.ToLower(it.id)
		if _, dup := index[key]; dup {
			return nil, errBatch("The batch has two requests with the id '%s'; ids must be unique.", it.id)
		}
		if rq.Method == nil || *rq.Method == "" {
			return nil, errBatch("Request '%s' has no method.", it.id)
		}
		it.method = strings.ToUpper(*rq.Method)
		switch it.method {
		case "GET", "POST", "PATCH", "PUT", "DELETE":
		default:
			return nil, errBatch("Request '%s' has the method '%s'; use GET, POST, PATCH, PUT or DELETE.", it.id, *rq.Method)
		}
		if rq.URL == nil || strings.TrimSpace(*rq.URL) == "" {
			return nil, errBatch("Request '%s' has no url.", it.id)
		}
		var err error
		if it.path, it.rawQuery, err = batchTarget(*rq.URL, version, host); err != nil {
			return nil, errBatch("Request '%s': %v.", it.id, err)
		}
		it.headers = http.Header{}
		for k, v := range rq.Headers {
			it.headers.Set(k, v)
		}
		if len(rq.Body) > 0 && !bytes.Equal(bytes.TrimSpace(rq.Body), []byte("null")) {
			if it.headers.Get("Content-Type") == "" {
				return nil, errBatch("Request '%s' has a body but no Content-Type header.", it.id)
			}
			switch bytes.TrimSpace(rq.Body)[0] {
			case '{':
				it.body = rq.Body
				// The body is re-encoded JSON, whatever the client said.
				it.headers.Del("Content-Encoding")
			case '"':
				var enc string
				if err := json.Unmarshal(rq.Body, &enc); err != nil {
					return nil, errBatch("Request '%s' has a body that is not valid: %v.", it.id, err)
				}
				if it.body, err = decodeBase64(enc); err != nil {
					return nil, errBatch("Request '%s' has a string body that is not base64: %v.", it.id, err)
				}
			default:
				return nil, errBatch("Request '%s' has a body that is neither a JSON object nor a base64 string.", it.id)
			}
			it.hasBody = true
		}
		it.headers.Del("Content-Length")
		for _, dep := range rq.DependsOn {
			j, ok := index[strings.ToLower(dep)]
			if !ok {
				return nil, errBatch("Invalid dependency for request '%s': '%s' is not the id of an earlier request of the batch.", it.id, dep)
			}
			it.dependsOn = append(it.dependsOn, j)
		}
		index[key] = i
	}
	return items, nil
}

// batchTarget resolves a request url to a path under the version root and
// a raw query. Relative URLs ("/users/x", "users/x?$top=1") are relative
// to the batch's version; an absolute URL must be on this server, under the
// same version.
func batchTarget(raw, version, host string) (path, query string, err error) {
	raw = strings.TrimSpace(raw)
	rest := raw
	if i := strings.Index(raw, "://"); i >= 0 && !strings.ContainsAny(raw[:i], "/?") {
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", fmt.Errorf("the url %q is not valid", raw)
		}
		if !strings.EqualFold(u.Host, host) {
			return "", "", fmt.Errorf("the url %q is not on this server; use a URL relative to /%s", raw, version)
		}
		rest = strings.TrimPrefix(u.RequestURI(), "/")
		v, after, _ := strings.Cut(rest, "/")
		if v != version {
			return "", "", fmt.Errorf("the url %q is not under /%s, the version of this batch", raw, version)
		}
		rest = after
	}
	rest = strings.TrimPrefix(rest, "/")
	// Graph takes urls with unencoded spaces ("$filter=city eq null").
	rest = strings.ReplaceAll(rest, " ", "%20")
	path, query, _ = strings.Cut(rest, "?")
	first, _, _ := strings.Cut(path, "/")
	if unescaped, err := url.PathUnescape(first); err == nil && strings.EqualFold(unescaped, "$batch") {
		return "", "", fmt.Errorf("a batch cannot contain another $batch request")
	}
	return "/" + path, query, nil
}

// decodeBase64 accepts standard and URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%d characters that do not decode", len(s))
}

func (s *Server) batch(r *request) (*response, error) {
	if r.http.Context().Value(batchInnerKey{}) != nil {
		return nil, errBatch("A batch cannot contain another $batch request.")
	}
	items, err := parseBatch(r.body, r.version, r.http.Host)
	if err != nil {
		return nil, err
	}
	results := make([]batchResponseItem, len(items))
	failed := make([]bool, len(items))
	done := make([]chan struct{}, len(items))
	for i := range done {
		done[i] = make(chan struct{})
	}
	slots := make(chan struct{}, batchConcurrency)
	var wg sync.WaitGroup
	for i := range items {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer close(done[i])
			it := &items[i]
			for _, d := range it.dependsOn {
				<-done[d]
			}
			for _, d := range it.dependsOn {
				if failed[d] {
					results[i] = failedDependency(it, &items[d], r)
					failed[i] = true
					return
				}
			}
			slots <- struct{}{}
			results[i] = s.runInner(r, it)
			<-slots
			failed[i] = results[i].Status >= 400
		}(i)
	}
	wg.Wait()
	// "The individual responses might appear in a different order than
	// the requests" (concepts/json-batching.md): answered in the seeded
	// order of s.batchOrder unless the mock runs with batch order request.
	order := s.batchOrder.order(len(results))
	answered := make([]batchResponseItem, len(results))
	for i, j := range order {
		answered[i] = results[j]
	}
	return ok(map[string]any{"responses": answered})
}

// failedDependency is the 424 of a request whose dependency failed.
func failedDependency(it, dep *batchItem, r *request) batchResponseItem {
	ge := newError(http.StatusFailedDependency, "FailedDependency", "The request '%s' was not run because the request '%s' it depends on failed.", it.id, dep.id)
	inner := &request{reqID: newRequestID(), clientID: it.headers.Get("client-request-id")}
	body, _ := json.Marshal(errorBody(ge, inner))
	return batchResponseItem{ID: it.id, Status: ge.status, Headers: map[string]string{"Content-Type": "application/json"}, Body: body}
}

// runInner serves one request of the batch through s.serveInner and turns
// the recorded response into a batch response entry.
func (s *Server) runInner(outer *request, it *batchItem) batchResponseItem {
	target := outer.base + "/" + outer.version + it.path
	if it.rawQuery != "" {
		target += "?" + it.rawQuery
	}
	ctx := context.WithValue(outer.http.Context(), batchInnerKey{}, it.id)
	var body *bytes.Reader
	if it.hasBody {
		body = bytes.NewReader(it.body)
	} else {
		body = bytes.NewReader(nil)
	}
	hr, err := http.NewRequestWithContext(ctx, it.method, target, body)
	if err != nil {
		ge := errBatch("The url of request '%s' is not valid: %v.", it.id, err).(*graphError)
		b, _ := json.Marshal(errorBody(ge, &request{reqID: newRequestID()}))
		return batchResponseItem{ID: it.id, Status: ge.status, Headers: map[string]string{"Content-Type": "application/json"}, Body: b}
	}
	hr.Header = it.headers.Clone()
	// Every inner request is authenticated as the batch is.
	hr.Header.Set("Authorization", outer.http.Header.Get("Authorization"))
	hr.Host = outer.http.Host
	hr.TLS = outer.http.TLS
	hr.RemoteAddr = outer.http.RemoteAddr
	hr.RequestURI = hr.URL.RequestURI()
	rec := httptest.NewRecorder()
	s.serveInner(rec, hr)
	return batchResponse(it.id, rec)
}

// serveInner serves one request of a JSON batch. It is the hook for layers
// that must see each inner request on its own (throttling counts inner
// requests separately, as Graph does): they wrap s.inner.
func (s *Server) serveInner(w http.ResponseWriter, r *http.Request) {
	s.inner.ServeHTTP(w, r)
}

// batchResponse converts a recorded inner response. JSON bodies are
// embedded, text bodies become a JSON string, other bodies base64.
func batchResponse(id string, rec *httptest.ResponseRecorder) batchResponseItem {
	res := batchResponseItem{ID: id, Status: rec.Code, Headers: map[string]string{}}
	for k, v := range rec.Header() {
		if k == "Content-Length" || k == "X-Ms-Ags-Diagnostic" || len(v) == 0 {
			continue
		}
		res.Headers[http.CanonicalHeaderKey(k)] = strings.Join(v, ", ")
	}
	b := rec.Body.Bytes()
	if len(b) == 0 {
		delete(res.Headers, "Content-Type")
		return res
	}
	ct := strings.ToLower(res.Headers["Content-Type"])
	switch {
	case strings.HasPrefix(ct, "application/json") && json.Valid(b):
		res.Body = b
	case strings.HasPrefix(ct, "text/"):
		res.Body, _ = json.Marshal(string(b))
	default:
		res.Body, _ = json.Marshal(base64.StdEncoding.EncodeToString(b))
	}
	return res
}
