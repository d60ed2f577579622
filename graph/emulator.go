package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mfactl/mfactl/internal/emulatorapi"
)

// Emulator talks to the control endpoints of mfactl's mock Graph server
// under /_mock/ (health, reset, clock). They are not Graph, so the SDK has
// no builders for them: requests are plain JSON over the client's own
// HTTP pipeline (same transport, middleware, --debug trace and bearer
// token), and failures become *Error like any Graph call.
type Emulator struct{ c *Client }

// Emulator returns the client of the mock's control endpoints. Real Graph
// has none: callers check the backend first.
func (c *Client) Emulator() *Emulator { return &Emulator{c: c} }

// EmulatorHealth is GET /_mock/health (one definition, in emulatorapi).
type EmulatorHealth = emulatorapi.Health

// EmulatorClock is GET and POST /_mock/clock.
type EmulatorClock = emulatorapi.Clock

// Health reports the mock's tenant, size, uptime, clock and knobs.
func (e *Emulator) Health(ctx context.Context) (*EmulatorHealth, error) {
	var h EmulatorHealth
	return &h, e.do(ctx, "read the mock server's health", http.MethodGet, "health", nil, &h)
}

// Reset replaces the mock's whole state with the demo tenant (users 0) or
// a synthetic tenant of users users from seed, and resets its clock.
func (e *Emulator) Reset(ctx context.Context, users int, seed int64) (*EmulatorHealth, error) {
	var body any
	if users > 0 {
		body = map[string]any{"users": users, "seed": seed}
	}
	var h EmulatorHealth
	return &h, e.do(ctx, "reset the mock tenant", http.MethodPost, "reset", body, &h)
}

// Clock reads the emulated clock.
func (e *Emulator) Clock(ctx context.Context) (*EmulatorClock, error) {
	var c EmulatorClock
	return &c, e.do(ctx, "read the mock clock", http.MethodGet, "clock", nil, &c)
}

// AdvanceClock moves the emulated clock by d (negative goes back).
func (e *Emulator) AdvanceClock(ctx context.Context, d time.Duration) (*EmulatorClock, error) {
	var c EmulatorClock
	return &c, e.do(ctx, "advance the mock clock", http.MethodPost, "clock", map[string]string{"advance": d.String()}, &c)
}

// SetClockOffset sets how far the emulated clock runs ahead of real time
// (0 puts it back on real time).
func (e *Emulator) SetClockOffset(ctx context.Context, d time.Duration) (*EmulatorClock, error) {
	var c EmulatorClock
	return &c, e.do(ctx, "set the mock clock", http.MethodPost, "clock", map[string]float64{"offsetSeconds": d.Seconds()}, &c)
}

// maxEmulatorBody bounds what is read from a control endpoint.
const maxEmulatorBody = 1 << 20

func (e *Emulator) do(ctx context.Context, op, method, path string, in, out any) error {
	return e.doRaw(ctx, op, method, path, in, out)
}

// doRaw sends one request and decodes the answer into every non-nil out
// (a verdict wrapper and the typed answer read the same body).
func (e *Emulator) doRaw(ctx context.Context, op, method, path string, in any, outs ...any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.c.root+"/_mock/"+path, body)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	tok, err := e.c.cred.GetToken(ctx, TokenRequest(e.c.scopes))
	if err != nil {
		return wrap(op, "", err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := e.c.httpClient.Do(req)
	if err != nil {
		ge := &Error{Op: op, Err: err}
		ge.Hint = hintFor(ge)
		return ge
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxEmulatorBody))
	if err != nil {
		return &Error{Op: op, Status: resp.StatusCode, Err: err}
	}
	if resp.StatusCode >= 300 {
		return emulatorError(op, resp, raw)
	}
	for _, out := range outs {
		if out == nil {
			continue
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return &Error{Op: op, Status: resp.StatusCode, Err: fmt.Errorf("the server's answer is not the mock's JSON: %w", err),
				Message: "unexpected answer; is this mfactl's mock server?"}
		}
	}
	return nil
}

// emulatorError reads Graph's error envelope, which the control endpoints
// use too.
func emulatorError(op string, resp *http.Response, raw []byte) error {
	e := &Error{Op: op, Status: resp.StatusCode, RequestID: resp.Header.Get("request-id"),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"))}
	var env struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError struct {
				RequestID string `json:"request-id"`
				Date      string `json:"date"`
			} `json:"innerError"`
		} `json:"error"`
	}
	if json.Unmarshal(raw, &env) == nil && env.Error.Code != "" {
		e.Code, e.Message, e.Date = env.Error.Code, env.Error.Message, env.Error.InnerError.Date
		if e.RequestID == "" {
			e.RequestID = env.Error.InnerError.RequestID
		}
	} else {
		e.Message = http2text(resp.StatusCode)
	}
	e.Hint = hintFor(e)
	switch {
	case e.Status == 403:
		e.Hint = "the emulator's control endpoints need the admin token (mock-admin-token, or the one `mock serve --token` set)"
	case e.Status == 404 && (e.Code == "" || strings.HasPrefix(e.Message, "The emulator has no endpoint")):
		e.Hint, e.Advice = "", AdviceNotEmulator
	case e.Status == 404:
		// An unknown user, challenge or method: the message says which.
		e.Hint = ""
	}
	return e
}
