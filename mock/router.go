package mock

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mfactl/mfactl/mock/odata"
)

// request is what a handler sees: the HTTP request, the Graph version it
// addressed, captured path parameters, the caller and the decoded body.
type request struct {
	http     *http.Request
	srv      *Server
	version  string // "v1.0" or "beta"
	params   map[string]string
	caller   *Principal
	body     []byte
	base     string // scheme://host of this server, for absolute links
	query    url.Values
	reqID    string
	clientID string
}

// response is a handler's result: a status, an optional JSON body (or a
// raw body with its content type, such as the text/plain of $count),
// headers.
type response struct {
	status      int
	body        any
	raw         []byte
	contentType string
	headers     map[string]string
}

func ok(body any) (*response, error) { return &response{status: http.StatusOK, body: body}, nil }
func created(body any) (*response, error) {
	return &response{status: http.StatusCreated, body: body}, nil
}
func noContent() (*response, error) { return &response{status: http.StatusNoContent}, nil }

type handlerFunc func(r *request) (*response, error)

// route is one endpoint: a method and a path pattern relative to the
// version root, where {name} captures one segment.
type route struct {
	method   string
	segments []string
	betaOnly bool
	handler  handlerFunc
}

type router struct {
	routes []route
}

func (rt *router) add(method, pattern string, h handlerFunc) {
	rt.routes = append(rt.routes, route{method: method, segments: splitPath(pattern), handler: h})
}

func (rt *router) addBeta(method, pattern string, h handlerFunc) {
	rt.routes = append(rt.routes, route{method: method, segments: splitPath(pattern), betaOnly: true, handler: h})
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match finds the route for method and path segments. It reports whether
// the path exists under another method (405) and which segment was unknown.
func (rt *router) match(method, version string, segs []string) (h handlerFunc, params map[string]string, pathExists bool, badSegment string) {
	deepest := -1
	for _, r := range rt.routes {
		if r.betaOnly && version != "beta" {
			continue
		}
		p, depth, okPath := matchSegments(r.segments, segs)
		if !okPath {
			if depth > deepest {
				deepest = depth
			}
			continue
		}
		if r.method != method {
			pathExists = true
			continue
		}
		return r.handler, p, true, ""
	}
	if pathExists {
		return nil, nil, true, ""
	}
	if deepest < 0 {
		deepest = 0
	}
	if deepest < len(segs) {
		badSegment = segs[deepest]
	} else if len(segs) > 0 {
		// Every segment matched a prefix of some longer route: the path
		// stops short, so the last segment is the one Graph names (it
		// never names an empty one).
		badSegment = segs[len(segs)-1]
	}
	return nil, nil, false, badSegment
}

// keySegments splits the OData key form users('{id or UPN}') into the two
// segments users/{id or UPN} the routes use, so every path that works with
// users/{id} also works with users('{id}'): the user-get page documents
// both (api-reference/v1.0/api/user-get.md, "GET /users/{id |
// userPrincipalName}" and the users('...') key syntax of OData URL
// conventions, which Graph's own @odata.context links use). A quote inside
// the key is doubled, as OData escapes it.
func keySegments(segs []string) []string {
	if len(segs) == 0 {
		return segs
	}
	name, key, ok := strings.Cut(segs[0], "(")
	if !ok || !strings.EqualFold(name, "users") || !strings.HasSuffix(key, ")") {
		return segs
	}
	key = strings.TrimSuffix(key, ")")
	if len(key) >= 2 && key[0] == '\'' && key[len(key)-1] == '\'' {
		key = strings.ReplaceAll(key[1:len(key)-1], "''", "'")
	}
	return append([]string{name, key}, segs[1:]...)
}

// meSegments serves /me/... as /users/{signed-in user}/...: the
// authentication method pages document both forms, /me for the signed-in
// user's own methods (for example
// api-reference/v1.0/api/phoneauthenticationmethod-delete.md, "DELETE
// /me/authentication/phoneMethods/{phoneMethodId}"). The self-service rules
// then apply because the target is the caller. /me alone keeps its route.
func meSegments(segs []string, caller *Principal) []string {
	if len(segs) < 2 || !strings.EqualFold(segs[0], "me") {
		return segs
	}
	return append([]string{"users", caller.UPN}, segs[1:]...)
}

func matchSegments(pattern, segs []string) (map[string]string, int, bool) {
	n := min(len(pattern), len(segs))
	for i := 0; i < n; i++ {
		if p := pattern[i]; !isParam(p) && !strings.EqualFold(p, segs[i]) {
			return nil, i, false
		}
	}
	if len(pattern) != len(segs) {
		return nil, n, false
	}
	// The parameters are collected once the route matches (most routes
	// tried do not).
	params := map[string]string{}
	for i, p := range pattern {
		if isParam(p) {
			params[p[1:len(p)-1]] = segs[i]
		}
	}
	return params, n, true
}

// isParam reports whether a pattern segment is a {name} capture.
func isParam(p string) bool { return strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") }

// maxBody bounds request bodies (Graph's own limit for JSON batches is 4 MB).
const maxBody = 4 << 20

// ServeHTTP is the mock Graph endpoint: /v1.0/... and /beta/..., plus the
// emulator's own /_mock/ control endpoints.
func (s *Server) serveGraph(w http.ResponseWriter, hr *http.Request) {
	r := s.newRequest(hr)
	resp, err := s.dispatch(r)
	s.write(w, r, resp, err)
}

// newRequest wraps an HTTP request with a fresh request id.
//
// client-request-id is echoed when the client sent one; otherwise Graph's
// answers carry one anyway: the documented error examples show
// innerError.client-request-id (concepts/errors.md; API pages'
// error examples), equal to request-id when the client sent none, so the
// mock uses the request id.
func (s *Server) newRequest(hr *http.Request) *request {
	id := newRequestID()
	client := hr.Header.Get("client-request-id")
	if client == "" {
		client = id
	}
	return &request{
		http:     hr,
		srv:      s,
		query:    hr.URL.Query(),
		reqID:    id,
		clientID: client,
		base:     baseURL(hr),
	}
}

func (s *Server) dispatch(r *request) (*response, error) {
	segs, err := pathSegments(r.http.URL)
	if err != nil {
		return nil, errBadRequest(codeBadRequest, "The request URI is not valid: %v", err)
	}
	if len(segs) > 0 && segs[0] == controlSegment {
		return s.dispatchControl(r, segs[1:])
	}
	if len(segs) == 0 || (segs[0] != "v1.0" && segs[0] != "beta") {
		first := ""
		if len(segs) > 0 {
			first = segs[0]
		}
		return nil, errBadRequest("BadRequest", "Invalid version: %s", first)
	}
	r.version, segs = segs[0], segs[1:]
	// The alternate key of a directory role, directoryRoles(roleTemplateId='{id}')
	// (the SDK's DirectoryRolesWithRoleTemplateId), is one segment on the
	// wire; the routes take the key as the next segment.
	if len(segs) > 0 {
		if name, key, ok := strings.Cut(segs[0], "("); ok && strings.EqualFold(name, "directoryRoles") && strings.HasSuffix(key, ")") {
			segs = append([]string{name, strings.TrimSuffix(key, ")")}, segs[1:]...)
		}
	}

	segs = keySegments(segs)

	principal, ok := s.tokens.lookup(r.http.Header.Get("Authorization"))
	if !ok {
		if r.http.Header.Get("Authorization") == "" {
			return nil, newError(http.StatusUnauthorized, codeInvalidToken, "Access token is empty.")
		}
		return nil, newError(http.StatusUnauthorized, codeInvalidToken, "Access token validation failure. Invalid audience.")
	}
	r.caller = principal
	segs = meSegments(segs, principal)

	if err := r.readBody(); err != nil {
		return nil, err
	}
	h, params, pathExists, bad := s.routes.match(r.http.Method, r.version, segs)
	if h == nil {
		if pathExists {
			return nil, newError(http.StatusMethodNotAllowed, codeBadRequest, "Specified HTTP method is not allowed for the request target.")
		}
		return nil, errBadRequest("BadRequest", "Resource not found for the segment '%s'.", bad)
	}
	r.params = params
	return h(r)
}

// pathSegments splits the escaped path and unescapes each segment, so a
// UPN with an encoded '#' or a function call with encoded quotes and
// parentheses arrives as one segment.
func pathSegments(u *url.URL) ([]string, error) {
	raw := strings.Trim(u.EscapedPath(), "/")
	if raw == "" {
		return nil, nil
	}
	parts := strings.Split(raw, "/")
	for i, p := range parts {
		v, err := url.PathUnescape(p)
		if err != nil {
			return nil, err
		}
		parts[i] = v
	}
	return parts, nil
}

// readBody reads the request body. encodingLayer has already decoded it
// (and removed Content-Encoding) for every request the server receives;
// decodeBody here covers requests that reach the router another way.
func (r *request) readBody() error {
	if r.http.Body == nil {
		return nil
	}
	b, gerr := decodeBody(r.http.Header.Get("Content-Encoding"), r.http.Body)
	if gerr != nil {
		return gerr
	}
	r.body = b
	return nil
}

// decodeBody reads a request body of the given Content-Encoding, bounded
// by maxBody. The Graph API reference says nothing about compressed
// request bodies; the SDKs' design (microsoftgraph/msgraph-sdk-design,
// middleware/CompressionHandler.md) sends gzip and expects a service that
// does not take an encoding to answer 415 Unsupported Media Type. The mock
// takes identity and gzip, refuses a body that does not decode as its
// Content-Encoding says (400), and answers 415 to any other encoding.
func decodeBody(encoding string, body io.Reader) ([]byte, *graphError) {
	var src io.Reader = http.MaxBytesReader(nil, io.NopCloser(body), maxBody)
	switch enc := strings.ToLower(strings.TrimSpace(encoding)); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, errBadRequest(codeBadBody, "The request body is not valid gzip: %v", err)
		}
		defer zr.Close()
		src = io.LimitReader(zr, maxBody+1)
	default:
		return nil, newError(http.StatusUnsupportedMediaType, "UnsupportedMediaType", "Content-Encoding %q is not supported.", enc)
	}
	b, err := io.ReadAll(src)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body exceeds %d bytes.", maxBody)
		}
		if encoding != "" && !strings.EqualFold(encoding, "identity") {
			return nil, errBadRequest(codeBadBody, "The request body is not valid %s: %v", strings.ToLower(encoding), err)
		}
		return nil, errBadRequest(codeBadBody, "The request body could not be read: %v", err)
	}
	if len(b) > maxBody {
		return nil, newError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body exceeds %d bytes.", maxBody)
	}
	return b, nil
}

// encodingLayer checks every request's body against its Content-Encoding
// before anything else (faults, throttling, authentication) can answer,
// so a client that labels a body wrongly is caught on every request,
// whatever else happens to it. The decoded body replaces the original,
// and the Content-Encoding header goes.
func (s *Server) encodingLayer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		if hr.Body == nil || hr.Body == http.NoBody {
			next.ServeHTTP(w, hr)
			return
		}
		b, gerr := decodeBody(hr.Header.Get("Content-Encoding"), hr.Body)
		hr.Body.Close()
		if gerr != nil {
			s.write(w, s.newRequest(hr), nil, gerr)
			return
		}
		hr.Body = io.NopCloser(bytes.NewReader(b))
		hr.ContentLength = int64(len(b))
		hr.Header.Del("Content-Encoding")
		hr.Header.Del("Content-Length")
		next.ServeHTTP(w, hr)
	})
}

// decode unmarshals the JSON body into v, refusing unknown properties the way
// Graph refuses properties that do not exist on the resource.
func (r *request) decode(v any) error {
	if len(bytes.TrimSpace(r.body)) == 0 {
		return errBadRequest(codeBadBody, "Empty Payload, JSON content expected")
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errBadRequest(codeBadBody, "Invalid request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func (s *Server) write(w http.ResponseWriter, r *request, resp *response, err error) {
	h := w.Header()
	h.Set("request-id", r.reqID)
	if r.clientID != "" {
		h.Set("client-request-id", r.clientID)
	}
	h.Set("x-ms-ags-diagnostic", `{"ServerInfo":{"DataCenter":"mfactl mock","Slice":"E","Ring":"0","ScaleUnit":"000","RoleInstance":"mock"}}`)
	if err != nil {
		ge := asGraphError(err)
		for k, v := range ge.headers {
			h.Set(k, v)
		}
		s.writeJSON(w, ge.status, errorBody(ge, r))
		s.logRequest(r, ge.status)
		return
	}
	for k, v := range resp.headers {
		h.Set(k, v)
	}
	if resp.raw != nil {
		h.Set("Content-Type", resp.contentType)
		h.Set("Content-Length", strconv.Itoa(len(resp.raw)))
		w.WriteHeader(resp.status)
		w.Write(resp.raw)
		s.logRequest(r, resp.status)
		return
	}
	if resp.body == nil {
		w.WriteHeader(resp.status)
		s.logRequest(r, resp.status)
		return
	}
	body := resp.body
	if r.metadataNone() {
		body = odata.StripControl(body)
		h.Set("Content-Type", "application/json;odata.metadata=none;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	}
	s.writeJSON(w, resp.status, body)
	s.logRequest(r, resp.status)
}

func (s *Server) writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := marshalGraphJSON(body)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(map[string]any{"error": map[string]any{"code": codeInternal, "message": err.Error()}})
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// errorBody is Graph's OData error envelope. The SDK reads only the exact key
// innerError, and ODataError.Error() panics without a message, so both are
// always present.
func errorBody(ge *graphError, r *request) map[string]any {
	inner := map[string]any{
		"date":       time.Now().UTC().Format("2006-01-02T15:04:05"),
		"request-id": r.reqID,
	}
	if r.clientID != "" {
		inner["client-request-id"] = r.clientID
	}
	return map[string]any{"error": map[string]any{"code": ge.code, "message": ge.message, "innerError": inner}}
}

func (s *Server) logRequest(r *request, status int) {
	if s.opts.Log == nil {
		return
	}
	who := "-"
	if r.caller != nil {
		who = r.caller.UPN
	}
	fmt.Fprintf(s.opts.Log, "%s %s %s %d %s\n", time.Now().UTC().Format(time.RFC3339), r.http.Method, r.http.URL.RequestURI(), status, who)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host
}

// marshalGraphJSON encodes a body as Graph does: without escaping &, < and >
// (Graph's nextLinks carry a literal &, not \u0026).
// appendGraphJSON (fastjson.go) does it faster than encoding/json for the
// maps and slices handlers build, with the same bytes.
func marshalGraphJSON(v any) ([]byte, error) {
	return appendGraphJSON(make([]byte, 0, 1024), v)
}
