package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

// PlannedRequest is one request a dry run would have sent. The body is the
// JSON the request would carry, with secrets redacted.
type PlannedRequest struct {
	Method string          `json:"method"`
	URL    string          `json:"url"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// String renders the request the way --dry-run prints it: the request line,
// then the body on the next line when there is one.
func (p PlannedRequest) String() string {
	s := p.Method + " " + p.URL
	if len(p.Body) > 0 {
		s += "\n" + string(p.Body)
	}
	return s
}

// DryRunPlan collects the writes of a dry run. Reads still go to Graph, so
// the plan is built from the tenant's real state (method ids, the TAP
// policy); only the writes are held back. (runbook.Plan is what a reset
// will do; coverage.Plan how a report will be read.)
type DryRunPlan struct {
	mu       sync.Mutex
	requests []PlannedRequest
}

// Requests returns the planned writes in the order they were made.
func (p *DryRunPlan) Requests() []PlannedRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]PlannedRequest(nil), p.requests...)
}

func (p *DryRunPlan) record(ri *abs.RequestInformation) error {
	u, err := ri.GetUri()
	if err != nil {
		return fmt.Errorf("graph: plan request: %w", err)
	}
	req := PlannedRequest{Method: ri.Method.String(), URL: Redact(u.String())}
	if len(ri.Content) > 0 {
		body := Redact(string(ri.Content))
		if json.Valid([]byte(body)) {
			req.Body = json.RawMessage(body)
		} else {
			quoted, _ := json.Marshal(body)
			req.Body = quoted
		}
	}
	p.mu.Lock()
	p.requests = append(p.requests, req)
	p.mu.Unlock()
	return nil
}

// DryRun returns a client that reads from Graph as usual and records every
// write in plan instead of sending it. Write functions then return zero
// values and no error.
func (c *Client) DryRun(plan *DryRunPlan) *Client {
	cp := *c
	cp.plan = plan
	return &cp
}

// IsDryRun reports whether writes are being recorded instead of sent.
func (c *Client) IsDryRun() bool { return c.plan != nil }

// errorMapping makes every error status decode into *odataerrors.ODataError,
// as the SDK's generated builders do.
var errorMapping = abs.ErrorMappings{"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue}

// send is the one place writes go through: in a dry run it records the
// request and returns (nil, nil); otherwise it sends it, decoding the answer
// with factory (nil: no content expected).
func (c *Client) send(ctx context.Context, a abs.RequestAdapter, ri *abs.RequestInformation, factory serialization.ParsableFactory) (serialization.Parsable, error) {
	if c.plan != nil {
		return nil, c.plan.record(ri)
	}
	if factory == nil {
		return nil, a.SendNoContent(ctx, ri, errorMapping)
	}
	return a.Send(ctx, ri, factory, errorMapping)
}

// rawRequest builds a request for an endpoint the v1.0 SDK does not model
// (beta states, the TAP policy, /me). template is relative to the base URL.
func rawRequest(a abs.RequestAdapter, method abs.HttpMethod, template string, params map[string]string) *abs.RequestInformation {
	pp := map[string]string{"baseurl": a.GetBaseUrl()}
	for k, v := range params {
		pp[k] = v
	}
	ri := abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(method, "{+baseurl}"+template, pp)
	ri.Headers.TryAdd("Accept", "application/json")
	return ri
}

// getJSON sends a raw GET (reads always go out, also in a dry run) and
// decodes the JSON answer into v.
func getJSON(ctx context.Context, a abs.RequestAdapter, ri *abs.RequestInformation, v any) error {
	res, err := a.SendPrimitive(ctx, ri, "[]byte", errorMapping)
	if err != nil {
		return err
	}
	b, _ := res.([]byte)
	if len(b) == 0 {
		return fmt.Errorf("graph: empty response")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("graph: decode response: %w", err)
	}
	return nil
}

// setJSONBody gives a raw request a JSON body.
func setJSONBody(ri *abs.RequestInformation, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ri.SetStreamContentAndContentType(b, "application/json")
	return nil
}
