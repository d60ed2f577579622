package graph

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Exchange is one write request the client sent (after Graph's middleware:
// each retry is its own exchange) and how it ended. URL and body are
// redacted as for --debug.
type Exchange struct {
	Time   time.Time
	Method string
	URL    string
	Body   json.RawMessage
	// Status is the HTTP status; 0 when no answer came.
	Status int
	Err    string
}

// observers are the functions told about every write. They live behind a
// pointer so copies of the client (DryRun) share them.
type observers struct {
	mu     sync.Mutex
	fns    []func(Exchange)
	before []func(Exchange) error
}

// check asks the BeforeWrites functions whether the write e may be sent.
func (o *observers) check(e Exchange) error {
	o.mu.Lock()
	fns := append([]func(Exchange) error{}, o.before...)
	o.mu.Unlock()
	for _, fn := range fns {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (o *observers) add(fn func(Exchange)) {
	o.mu.Lock()
	o.fns = append(o.fns, fn)
	o.mu.Unlock()
}

func (o *observers) notify(e Exchange) {
	o.mu.Lock()
	fns := append([]func(Exchange){}, o.fns...)
	o.mu.Unlock()
	for _, fn := range fns {
		fn(e)
	}
}

// ObserveWrites registers fn to be told about every write request (any
// method but GET, HEAD and OPTIONS) this client sends, whichever function
// sent it: the audit log hooks in here, so no verb can forget to record a
// change. A dry run sends no writes, so fn hears of none.
func (c *Client) ObserveWrites(fn func(Exchange)) { c.observers.add(fn) }

// BeforeWrites registers fn to be called before each write request is sent
// (for a $batch, before it when it holds a write, with its first write);
// an error from fn stops the request unsent and is returned to the caller.
// The audit log writes its intent record here, so a run killed after its
// first write still left a record that it started.
func (c *Client) BeforeWrites(fn func(Exchange) error) {
	c.observers.mu.Lock()
	c.observers.before = append(c.observers.before, fn)
	c.observers.mu.Unlock()
}

// recordTransport tells the observers about each write it carries.
type recordTransport struct {
	next http.RoundTripper
	obs  *observers
}

func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

func (t *recordTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !isWrite(req.Method) {
		return t.next.RoundTrip(req)
	}
	ex := Exchange{Time: time.Now().UTC(), Method: req.Method, URL: Redact(req.URL.String())}
	var plain []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		plain = maybeGunzip(b, req.Header.Get("Content-Encoding"))
	}
	if strings.HasSuffix(req.URL.Path, "/$batch") {
		return t.batch(req, ex, plain)
	}
	if plain != nil {
		ex.Body = redactedBody(redactRequest(plain))
	}
	if err := t.obs.check(ex); err != nil {
		return nil, err
	}
	return t.send(req, ex)
}

// send carries a write and tells the observers how it ended.
func (t *recordTransport) send(req *http.Request, ex Exchange) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		ex.Err = err.Error()
	} else {
		ex.Status = resp.StatusCode
	}
	t.obs.notify(ex)
	return resp, err
}

// batchSteps is the part of a $batch request body the recorder reads.
type batchSteps struct {
	Requests []struct {
		ID     string          `json:"id"`
		Method string          `json:"method"`
		URL    string          `json:"url"`
		Body   json.RawMessage `json:"body"`
	} `json:"requests"`
}

// batch records a $batch by its steps: the writes in it, each with its
// own URL, body and status, as if sent alone; a batch of reads (a
// coverage report's method lists) is a read and is not recorded.
func (t *recordTransport) batch(req *http.Request, ex Exchange, plain []byte) (*http.Response, error) {
	var in batchSteps
	if json.Unmarshal(plain, &in) != nil {
		// Not a batch mfactl can read: record it whole, as any write.
		ex.Body = redactedBody(redactRequest(plain))
		if err := t.obs.check(ex); err != nil {
			return nil, err
		}
		return t.send(req, ex)
	}
	var writes []Exchange
	ids := map[string]int{}
	root := strings.TrimSuffix(req.URL.String(), "/$batch")
	for _, step := range in.Requests {
		if !isWrite(strings.ToUpper(step.Method)) {
			continue
		}
		w := Exchange{Time: ex.Time, Method: strings.ToUpper(step.Method), URL: Redact(root + "/" + strings.TrimLeft(step.URL, "/"))}
		if len(step.Body) > 0 && string(step.Body) != "null" {
			w.Body = redactedBody(redactRequest(step.Body))
		}
		ids[step.ID] = len(writes)
		writes = append(writes, w)
	}
	if len(writes) > 0 {
		if err := t.obs.check(writes[0]); err != nil {
			return nil, err
		}
	}
	resp, err := t.next.RoundTrip(req)
	if len(writes) == 0 {
		return resp, err
	}
	if err != nil {
		for i := range writes {
			writes[i].Err = err.Error()
		}
	} else {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		var out struct {
			Responses []struct {
				ID     string `json:"id"`
				Status int    `json:"status"`
			} `json:"responses"`
		}
		if rerr == nil {
			_ = json.Unmarshal(maybeGunzip(body, resp.Header.Get("Content-Encoding")), &out)
		}
		for _, r := range out.Responses {
			if i, ok := ids[r.ID]; ok {
				writes[i].Status = r.Status
			}
		}
		for i := range writes {
			if writes[i].Status == 0 {
				writes[i].Err = fmt.Sprintf("no answer in the $batch response (HTTP %d)", resp.StatusCode)
			}
		}
	}
	for _, w := range writes {
		t.obs.notify(w)
	}
	return resp, err
}

// requestSecrets are request fields that carry a secret only in what a
// client sends (the emulator's {"code": ...} and {"keys": "PIN#"}); in
// Graph's answers "code" is an error code, so Redact leaves it alone.
var requestSecrets = regexp.MustCompile(`("(?i:code|keys)"\s*:\s*)("(?:[^"\\]|\\.)*")`)

func redactRequest(b []byte) []byte {
	return requestSecrets.ReplaceAll(b, []byte(`$1"[REDACTED]"`))
}

// redactedBody is a body with secrets removed, as JSON (a non-JSON body
// becomes a JSON string).
func redactedBody(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	s := Redact(string(b))
	if json.Valid([]byte(s)) {
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(s)) == nil {
			return buf.Bytes()
		}
	}
	quoted, _ := json.Marshal(s)
	return quoted
}

// TokenClaims is what the access token says about who is signed in. Graph
// tokens are JWTs; the claims are read, not verified: they describe the
// caller to the caller.
type TokenClaims struct {
	TenantID          string `json:"tid"`
	ObjectID          string `json:"oid"`
	UPN               string `json:"upn"`
	PreferredUsername string `json:"preferred_username"`
	Name              string `json:"name"`
	AppID             string `json:"appid"`
	AuthorizedParty   string `json:"azp"`
	AppDisplayName    string `json:"app_displayname"`
}

// Claims reads the claims of the client's access token. A token that is
// not a JWT (a mock's static token) is an error.
func (c *Client) Claims(ctx context.Context) (TokenClaims, error) {
	tok, err := c.cred.GetToken(ctx, TokenRequest(c.scopes))
	if err != nil {
		return TokenClaims{}, err
	}
	return ParseClaims(tok.Token)
}

// ParseClaims decodes the payload of a JWT.
func ParseClaims(token string) (TokenClaims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return TokenClaims{}, fmt.Errorf("the access token is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return TokenClaims{}, fmt.Errorf("the access token's payload is not base64url: %w", err)
	}
	var cl TokenClaims
	if err := json.Unmarshal(raw, &cl); err != nil {
		return TokenClaims{}, fmt.Errorf("the access token's payload is not JSON: %w", err)
	}
	if cl.UPN == "" {
		cl.UPN = cl.PreferredUsername
	}
	if cl.AppID == "" {
		cl.AppID = cl.AuthorizedParty
	}
	return cl, nil
}
