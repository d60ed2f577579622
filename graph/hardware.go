package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/methods"
)

// Hardware OATH tokens are beta-only: the tenant's inventory
// (/directory/authenticationMethodDevices/hardwareOathDevices, the
// Authentication Policy Administrator's) and each user's hardwareOathMethods
// (the authentication admins'). These are small typed wrappers over raw
// requests through the beta adapter; a token's secret only ever appears in
// the body of the request that creates it, which --debug and --dry-run
// print redacted.
const (
	inventoryTemplate = "/directory/authenticationMethodDevices/hardwareOathDevices"
	hwMethodsTemplate = "/users/{user%2Did}/authentication/hardwareOathMethods"
)

// inventoryPageSize is the $top of inventory listings: the most Graph's
// directory pages allow, so an import's inventory read is few requests.
// Tests make it small to page.
var inventoryPageSize = 999

// HardwareTokenFilter narrows an inventory listing with Graph's $filter.
type HardwareTokenFilter struct {
	Status       methods.HardwareTokenStatus
	SerialNumber string
}

// OData renders the filter ("" when empty).
func (f HardwareTokenFilter) OData() string {
	var parts []string
	if f.Status != "" {
		parts = append(parts, "status eq "+odataString(string(f.Status)))
	}
	if f.SerialNumber != "" {
		parts = append(parts, "serialNumber eq "+odataString(f.SerialNumber))
	}
	return strings.Join(parts, " and ")
}

// odataString quotes a string literal, doubling quotes as OData does.
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// NewHardwareToken is a token to add to the inventory.
type NewHardwareToken struct {
	SerialNumber string
	Manufacturer string
	Model        string
	DisplayName  string
	// Secret is the base32 seed. OATHSecret prints redacted everywhere;
	// only the create request's body carries it.
	Secret                methods.OATHSecret
	TimeIntervalInSeconds int
	// HashFunction is hmacsha1 (Graph's default when empty) or hmacsha256.
	HashFunction string
	// AssignTo is the object id of the user who gets the token in the same
	// request; empty keeps the token available.
	AssignTo string
}

// newTokenJSON is the create body.
type newTokenJSON struct {
	DisplayName           string            `json:"displayName,omitempty"`
	SerialNumber          string            `json:"serialNumber"`
	Manufacturer          string            `json:"manufacturer"`
	Model                 string            `json:"model"`
	SecretKey             string            `json:"secretKey"`
	TimeIntervalInSeconds int               `json:"timeIntervalInSeconds"`
	HashFunction          string            `json:"hashFunction,omitempty"`
	AssignTo              *methods.Identity `json:"assignTo,omitempty"`
}

// HardwareTokenUpdate changes an unassigned token; nil fields stay.
type HardwareTokenUpdate struct {
	DisplayName           *string `json:"displayName,omitempty"`
	Manufacturer          *string `json:"manufacturer,omitempty"`
	Model                 *string `json:"model,omitempty"`
	TimeIntervalInSeconds *int    `json:"timeIntervalInSeconds,omitempty"`
	HashFunction          *string `json:"hashFunction,omitempty"`
}

// ConvertHardwareToken decodes a hardwareOathTokenAuthenticationMethodDevice.
// The model's JSON names are Graph's, and secretKey (always null) has no
// place in it.
func ConvertHardwareToken(raw []byte) (methods.HardwareToken, error) {
	var t methods.HardwareToken
	if err := json.Unmarshal(raw, &t); err != nil {
		return methods.HardwareToken{}, fmt.Errorf("graph: decode hardware token: %w", err)
	}
	return t, nil
}

// tokenError turns a 404 on an inventory item into "no token X".
func tokenError(op, ref string, role RoleHint, err error) error {
	werr := wrap(op, role, err)
	if ge, ok := werr.(*Error); ok && ge.Status == 404 {
		ge.Hint, ge.Advice = "", AdviceNoSuchToken
		if ge.Message == "" {
			ge.Message = fmt.Sprintf("no hardware token %s in the inventory", ref)
		}
	}
	return werr
}

// ListHardwareTokens pages through the inventory, calling fn for each token
// until it returns false. It follows @odata.nextLink as Graph sends it.
func (c *Client) ListHardwareTokens(ctx context.Context, f HardwareTokenFilter, fn func(methods.HardwareToken) bool) error {
	op := "list hardware tokens"
	ri := rawRequest(c.beta, abs.GET, inventoryTemplate+"{?%24filter,%24top}", nil)
	if q := f.OData(); q != "" {
		ri.QueryParameters["%24filter"] = q
	}
	ri.QueryParameters["%24top"] = fmt.Sprint(inventoryPageSize)
	for {
		var page struct {
			Value    []json.RawMessage `json:"value"`
			NextLink string            `json:"@odata.nextLink"`
		}
		if err := getJSON(ctx, c.beta, ri, &page); err != nil {
			return wrap(op, RoleReadTokens, err)
		}
		for _, raw := range page.Value {
			t, err := ConvertHardwareToken(raw)
			if err != nil {
				return err
			}
			if !fn(t) {
				return nil
			}
		}
		if page.NextLink == "" {
			return nil
		}
		next, err := url.Parse(page.NextLink)
		if err != nil {
			return fmt.Errorf("graph: %s: bad @odata.nextLink: %w", op, err)
		}
		ri = abs.NewRequestInformation()
		ri.Method = abs.GET
		ri.SetUri(*next)
		ri.Headers.TryAdd("Accept", "application/json")
	}
}

// FindHardwareToken finds a token by serial number (a $filter on the
// inventory). An unknown serial is a *Error with status 404.
func (c *Client) FindHardwareToken(ctx context.Context, serial string) (methods.HardwareToken, error) {
	var found []methods.HardwareToken
	err := c.ListHardwareTokens(ctx, HardwareTokenFilter{SerialNumber: serial}, func(t methods.HardwareToken) bool {
		found = append(found, t)
		return true
	})
	if err != nil {
		return methods.HardwareToken{}, err
	}
	for _, t := range found {
		if strings.EqualFold(t.SerialNumber, serial) {
			return t, nil
		}
	}
	return methods.HardwareToken{}, &Error{
		Op: "find hardware token", Status: 404, Message: fmt.Sprintf("no hardware token with serial number %q in the inventory", serial),
		Advice: AdviceSerialNotInInventory,
	}
}

// GetHardwareToken reads one token by id.
func (c *Client) GetHardwareToken(ctx context.Context, id string) (methods.HardwareToken, error) {
	ri := rawRequest(c.beta, abs.GET, inventoryTemplate+"/{id}", map[string]string{"id": id})
	var raw json.RawMessage
	if err := getJSON(ctx, c.beta, ri, &raw); err != nil {
		return methods.HardwareToken{}, tokenError("get hardware token "+id, id, RoleReadTokens, err)
	}
	return ConvertHardwareToken(raw)
}

// CreateHardwareTokenRequest builds the create request of a token, for
// CreateHardwareToken and for JSON batching.
func (c *Client) CreateHardwareTokenRequest(t NewHardwareToken) (*abs.RequestInformation, error) {
	body := newTokenJSON{
		DisplayName: t.DisplayName, SerialNumber: t.SerialNumber, Manufacturer: t.Manufacturer, Model: t.Model,
		SecretKey: string(t.Secret), TimeIntervalInSeconds: t.TimeIntervalInSeconds, HashFunction: t.HashFunction,
	}
	if t.AssignTo != "" {
		body.AssignTo = &methods.Identity{ID: t.AssignTo}
	}
	ri := rawRequest(c.beta, abs.POST, inventoryTemplate, nil)
	if err := setJSONBody(ri, body); err != nil {
		return nil, err
	}
	return ri, nil
}

// CreateHardwareToken adds a token to the inventory (assigned when AssignTo
// is set). In a dry run it returns the zero token.
func (c *Client) CreateHardwareToken(ctx context.Context, t NewHardwareToken) (methods.HardwareToken, error) {
	op := "add hardware token " + t.SerialNumber
	ri, err := c.CreateHardwareTokenRequest(t)
	if err != nil {
		return methods.HardwareToken{}, err
	}
	raw, err := reconcileWrite(ctx, c, func() ([]byte, error) {
		raw, err := c.sendJSON(ctx, c.beta, ri)
		return raw, wrap(op, RolePolicy, err)
	}, c.tokenCreated(t))
	if err != nil || raw == nil {
		return methods.HardwareToken{}, err
	}
	return ConvertHardwareToken(raw)
}

// tokenCreated is the check of a token's create: a token with its serial
// number is in the inventory (and assigned as asked). Serial numbers are
// unique in the inventory (api/hardwareoathtokenauthenticationmethoddevice-post.md
// lists no duplicate; the mock refuses one), and the callers create only
// serials that were not there before. It returns the token as JSON, as
// the create's answer would.
func (c *Client) tokenCreated(t NewHardwareToken) checkFunc[[]byte] {
	return func(ctx context.Context) ([]byte, bool, error) {
		found, err := c.FindHardwareToken(ctx, t.SerialNumber)
		switch {
		case IsNotFound(err):
			return nil, false, nil
		case err != nil:
			return nil, false, err
		case t.AssignTo != "" && (found.AssignedTo == nil || !strings.EqualFold(found.AssignedTo.ID, t.AssignTo)):
			return nil, false, fmt.Errorf("hardware token %s is in the inventory but not assigned to %s", t.SerialNumber, t.AssignTo)
		}
		raw, err := json.Marshal(found)
		return raw, err == nil, err
	}
}

// CreateHardwareTokenItem is a token's create as a $batch step, with the
// re-read that settles it when its outcome is unknown.
func (c *Client) CreateHardwareTokenItem(key string, t NewHardwareToken) (BatchItem, error) {
	ri, err := c.CreateHardwareTokenRequest(t)
	if err != nil {
		return BatchItem{}, err
	}
	return BatchItem{Key: key, Request: ri, Reconcile: c.tokenCreated(t)}, nil
}

// UpdateHardwareToken changes an unassigned token's properties.
func (c *Client) UpdateHardwareToken(ctx context.Context, id string, u HardwareTokenUpdate) error {
	ri := rawRequest(c.beta, abs.PATCH, inventoryTemplate+"/{id}", map[string]string{"id": id})
	if err := setJSONBody(ri, u); err != nil {
		return err
	}
	check := asCheck(func(ctx context.Context) (bool, error) {
		got, err := c.GetHardwareToken(ctx, id)
		if err != nil {
			return false, err
		}
		return (u.DisplayName == nil || got.DisplayName == *u.DisplayName) &&
			(u.Manufacturer == nil || got.Manufacturer == *u.Manufacturer) &&
			(u.Model == nil || got.Model == *u.Model) &&
			(u.TimeIntervalInSeconds == nil || got.TimeIntervalInSeconds == *u.TimeIntervalInSeconds) &&
			(u.HashFunction == nil || strings.EqualFold(got.HashFunction, *u.HashFunction)), nil
	})
	_, err := reconcileWrite(ctx, c, noResult(func() error {
		_, err := c.send(ctx, c.beta, ri, nil)
		return tokenError("update hardware token "+id, id, RolePolicy, err)
	}), check)
	return err
}

// DeleteHardwareToken removes an unassigned token from the inventory.
func (c *Client) DeleteHardwareToken(ctx context.Context, id string) error {
	ri := rawRequest(c.beta, abs.DELETE, inventoryTemplate+"/{id}", map[string]string{"id": id})
	gone := asCheck(func(ctx context.Context) (bool, error) {
		_, err := c.GetHardwareToken(ctx, id)
		if IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	_, err := reconcileWrite(ctx, c, noResult(func() error {
		_, err := c.send(ctx, c.beta, ri, nil)
		return tokenError("delete hardware token "+id, id, RolePolicy, err)
	}), gone)
	return err
}

// hardwareMethodJSON is a user's hardwareOathAuthenticationMethod.
type hardwareMethodJSON struct {
	ID          string                 `json:"id"`
	DisplayName string                 `json:"displayName"`
	Created     *time.Time             `json:"createdDateTime"`
	Device      *methods.HardwareToken `json:"device"`
}

func (h hardwareMethodJSON) method() methods.Method {
	return methods.Method{ID: h.ID, Kind: methods.KindHardwareOath, DisplayName: h.DisplayName, Created: h.Created, Token: h.Device}
}

// ListHardwareOathMethods lists a user's hardware tokens, each with its
// inventory entry.
func (c *Client) ListHardwareOathMethods(ctx context.Context, user string) ([]methods.Method, error) {
	if err := ValidateUserRef(user); err != nil {
		return nil, err
	}
	ri := rawRequest(c.beta, abs.GET, hwMethodsTemplate, map[string]string{"user%2Did": user})
	var page struct {
		Value []hardwareMethodJSON `json:"value"`
	}
	if err := getJSON(ctx, c.beta, ri, &page); err != nil {
		return nil, userError("list hardware tokens of", user, RoleReadMethods, err)
	}
	out := make([]methods.Method, len(page.Value))
	for i, h := range page.Value {
		out[i] = h.method()
	}
	return out, nil
}

// AssignHardwareToken assigns an available token to a user without
// activating it (POST hardwareOathMethods).
func (c *Client) AssignHardwareToken(ctx context.Context, user, tokenID string) (methods.Method, error) {
	op := fmt.Sprintf("assign hardware token %s to %s", tokenID, user)
	ri := rawRequest(c.beta, abs.POST, hwMethodsTemplate, map[string]string{"user%2Did": user})
	if err := setJSONBody(ri, map[string]any{"device": methods.Identity{ID: tokenID}}); err != nil {
		return methods.Method{}, err
	}
	return reconcileWrite(ctx, c, func() (methods.Method, error) {
		raw, err := c.sendJSON(ctx, c.beta, ri)
		if err != nil || raw == nil {
			return methods.Method{}, wrapWrite(op, err)
		}
		var h hardwareMethodJSON
		if err := json.Unmarshal(raw, &h); err != nil {
			return methods.Method{}, fmt.Errorf("graph: decode hardware method: %w", err)
		}
		return h.method(), nil
	}, c.hasToken(user, func(t *methods.HardwareToken) bool { return strings.EqualFold(t.ID, tokenID) }, ""))
}

// hasToken is the check of a hardware method write: the user has a
// hardware method whose token match accepts, in status (any when "").
func (c *Client) hasToken(user string, match func(*methods.HardwareToken) bool, status methods.HardwareTokenStatus) checkFunc[methods.Method] {
	return c.findMethod(user, c.ListHardwareOathMethods, func(m methods.Method) bool {
		return m.Token != nil && match(m.Token) && (status == "" || m.Token.Status == status)
	})
}

// UnassignHardwareToken removes the hardware method from the user; the
// token goes back to available in the inventory.
func (c *Client) UnassignHardwareToken(ctx context.Context, user, methodID string) error {
	ri := rawRequest(c.beta, abs.DELETE, hwMethodsTemplate+"/{id}", map[string]string{"user%2Did": user, "id": methodID})
	_, err := reconcileWrite(ctx, c, noResult(func() error {
		_, err := c.send(ctx, c.beta, ri, nil)
		return wrapWrite(fmt.Sprintf("unassign hardware token %s from %s", methodID, user), err)
	}), c.methodGone(user, methodID, c.ListHardwareOathMethods))
	return err
}

// activationJSON is the body of the activation actions.
type activationJSON struct {
	VerificationCode string            `json:"verificationCode"`
	DisplayName      string            `json:"displayName,omitempty"`
	SerialNumber     string            `json:"serialNumber,omitempty"`
	Device           *methods.Identity `json:"device,omitempty"`
}

// postActivation sends an activation; check says whether it was applied
// when its outcome is unknown.
func (c *Client) postActivation(ctx context.Context, op, template string, params map[string]string, body activationJSON, check checkFunc[methods.Method]) error {
	ri := rawRequest(c.beta, abs.POST, template, params)
	if err := setJSONBody(ri, body); err != nil {
		return err
	}
	_, err := reconcileWrite(ctx, c, func() (methods.Method, error) {
		_, err := c.send(ctx, c.beta, ri, nil)
		return methods.Method{}, wrapWrite(op, err)
	}, check)
	return err
}

// ActivateHardwareToken activates a token assigned to the user with the
// code it shows now. A wrong code leaves the token failedActivation and is
// a *Error with code invalidVerificationCode.
func (c *Client) ActivateHardwareToken(ctx context.Context, user, methodID, code, displayName string) error {
	return c.postActivation(ctx, fmt.Sprintf("activate hardware token %s of %s", methodID, user), hwMethodsTemplate+"/{id}/activate",
		map[string]string{"user%2Did": user, "id": methodID}, activationJSON{VerificationCode: code, DisplayName: displayName},
		c.findMethod(user, c.ListHardwareOathMethods, func(m methods.Method) bool {
			return strings.EqualFold(m.ID, methodID) && m.Token != nil && m.Token.Status == methods.TokenActivated
		}))
}

// AssignAndActivateHardwareTokenBySerial assigns the token with this serial
// number to the user and activates it, in one request.
func (c *Client) AssignAndActivateHardwareTokenBySerial(ctx context.Context, user, serial, code, displayName string) error {
	return c.postActivation(ctx, fmt.Sprintf("assign and activate hardware token %s for %s", serial, user), hwMethodsTemplate+"/assignAndActivateBySerialNumber",
		map[string]string{"user%2Did": user}, activationJSON{VerificationCode: code, DisplayName: displayName, SerialNumber: serial},
		c.hasToken(user, func(t *methods.HardwareToken) bool { return strings.EqualFold(t.SerialNumber, serial) }, methods.TokenActivated))
}

// AssignAndActivateHardwareToken is AssignAndActivateHardwareTokenBySerial
// by token id.
func (c *Client) AssignAndActivateHardwareToken(ctx context.Context, user, tokenID, code, displayName string) error {
	return c.postActivation(ctx, fmt.Sprintf("assign and activate hardware token %s for %s", tokenID, user), hwMethodsTemplate+"/assignAndActivate",
		map[string]string{"user%2Did": user}, activationJSON{VerificationCode: code, DisplayName: displayName, Device: &methods.Identity{ID: tokenID}},
		c.hasToken(user, func(t *methods.HardwareToken) bool { return strings.EqualFold(t.ID, tokenID) }, methods.TokenActivated))
}

// DeactivateHardwareToken takes an activated token out of use; it stays
// assigned to the user.
func (c *Client) DeactivateHardwareToken(ctx context.Context, user, methodID string) error {
	ri := rawRequest(c.beta, abs.POST, hwMethodsTemplate+"/{id}/deactivate", map[string]string{"user%2Did": user, "id": methodID})
	check := c.findMethod(user, c.ListHardwareOathMethods, func(m methods.Method) bool {
		return strings.EqualFold(m.ID, methodID) && m.Token != nil && m.Token.Status != methods.TokenActivated && m.Token.Status != methods.TokenFailedActivation
	})
	_, err := reconcileWrite(ctx, c, func() (methods.Method, error) {
		_, err := c.send(ctx, c.beta, ri, nil)
		return methods.Method{}, wrapWrite(fmt.Sprintf("deactivate hardware token %s of %s", methodID, user), err)
	}, check)
	return err
}

// TokenResync is what resynchronising a token learned.
type TokenResync struct {
	SerialNumber string                      `json:"serialNumber"`
	Status       methods.HardwareTokenStatus `json:"status"`
	DriftSteps   int64                       `json:"driftSteps"`
	DriftSeconds int64                       `json:"driftSeconds"`
}

// ResyncHardwareToken resynchronises a drifted token from two consecutive
// codes through the mfactl mock's emulator endpoint
// (/_mock/tokens/{serial}/resync). Entra has no such API: against the public
// Graph service it refuses before sending anything.
func (c *Client) ResyncHardwareToken(ctx context.Context, serial, code1, code2 string) (TokenResync, error) {
	if c.root == PublicCloudRoot {
		return TokenResync{}, &UsageError{Msg: "resynchronising a token is an emulator feature of the mfactl mock (--mock or --endpoint); Microsoft Graph has no such API"}
	}
	op := "resynchronise hardware token " + serial
	ri := abs.NewRequestInformationWithMethodAndUrlTemplateAndPathParameters(abs.POST, "{+root}/_mock/tokens/{serial}/resync",
		map[string]string{"root": c.root, "serial": serial})
	ri.Headers.TryAdd("Accept", "application/json")
	if err := setJSONBody(ri, map[string][]string{"codes": {code1, code2}}); err != nil {
		return TokenResync{}, err
	}
	raw, err := c.sendJSON(ctx, c.beta, ri)
	if err != nil || raw == nil {
		werr := wrap(op, "", err)
		if ge, ok := werr.(*Error); ok && ge.Status == 404 && ge.Code != "" && !strings.Contains(ge.Message, serial) {
			ge.Hint, ge.Advice = "", AdviceNoTokenEmulator
		}
		return TokenResync{}, werr
	}
	var out TokenResync
	if err := json.Unmarshal(raw, &out); err != nil {
		return TokenResync{}, fmt.Errorf("graph: decode resync answer: %w", err)
	}
	return out, nil
}

// sendJSON sends a write whose answer is JSON: recorded in a dry run (nil
// answer), else sent and returned raw.
func (c *Client) sendJSON(ctx context.Context, a abs.RequestAdapter, ri *abs.RequestInformation) ([]byte, error) {
	if c.plan != nil {
		return nil, c.plan.record(ri)
	}
	res, err := a.SendPrimitive(ctx, ri, "[]byte", errorMapping)
	if err != nil {
		return nil, err
	}
	b, _ := res.([]byte)
	if len(b) == 0 {
		return nil, fmt.Errorf("graph: empty response")
	}
	return b, nil
}

// Codes of the mock's token resync endpoint (an emulator feature, not an
// Entra rule), and their hints.
const (
	CodeResyncFailed   = "tokenResyncFailed"
	CodeResyncReplayed = "tokenResyncReplayed"
)

var resyncHints = map[string]string{
	CodeResyncFailed:   "enter two codes the token shows one after the other (press the button, note the code, press again)",
	CodeResyncReplayed: "those codes were used already: press the token's button for two fresh codes",
}

// CountOathMethods counts, in an answer to MethodListRequest, the methods
// Entra's limit of five per user counts (entra.CountsTowardOathLimit).
func CountOathMethods(raw []byte) (int, error) {
	var page struct {
		Value []struct {
			Type string `json:"@odata.type"`
		} `json:"value"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return 0, fmt.Errorf("graph: decode method list: %w", err)
	}
	n := 0
	for _, m := range page.Value {
		if entra.CountsTowardOathLimit(methods.KindFromODataType(m.Type)) {
			n++
		}
	}
	return n, nil
}
