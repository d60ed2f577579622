package graph

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	abs "github.com/microsoft/kiota-abstractions-go"

	"github.com/mfactl/mfactl/methods"
)

// Requests of `bulk apply` as $batch steps. They are built on the beta
// adapter, like the reads they travel with (MethodListRequest,
// SignInPreferencesRequest), so one beta $batch carries a user's reads and
// writes; every path here is the same on v1.0 and beta. Each cites the
// documentation it follows (microsoftgraph/microsoft-graph-docs-contrib,
// api-reference/).

// bulkUserSelect adds signInSessionsValidFromDateTime to the user read,
// which tells whether sessions were revoked (v1.0/resources/user.md).
var bulkUserSelect = append(append([]string{}, userSelect...), "signInSessionsValidFromDateTime")

func userParams(user string) map[string]string { return map[string]string{"user%2Did": user} }

// BulkUserRequest reads a user with the time their sessions were last
// revoked (GET /users/{id}?$select=...).
func (c *Client) BulkUserRequest(user string) *abs.RequestInformation {
	ri := rawRequest(c.beta, abs.GET, "/users/{user%2Did}{?%24select}", userParams(user))
	ri.QueryParameters["%24select"] = strings.Join(bulkUserSelect, ",")
	return ri
}

// BulkUser is the answer of BulkUserRequest.
type BulkUser struct {
	methods.User
	SessionsValidFrom time.Time `json:"signInSessionsValidFromDateTime"`
}

// DecodeBulkUser decodes the answer of BulkUserRequest.
func DecodeBulkUser(body []byte) (BulkUser, error) {
	var u BulkUser
	if err := json.Unmarshal(body, &u); err != nil {
		return BulkUser{}, fmt.Errorf("graph: decode user: %w", err)
	}
	return u, nil
}

// MFAStateRequest reads the per-user MFA state
// (beta/resources/strongauthenticationrequirements.md).
func (c *Client) MFAStateRequest(user string) *abs.RequestInformation {
	return rawRequest(c.beta, abs.GET, requirementsPath, userParams(user))
}

// DecodeMFAState decodes the answer of MFAStateRequest.
func DecodeMFAState(body []byte) (methods.MFAState, error) {
	var w requirementsJSON
	if err := json.Unmarshal(body, &w); err != nil {
		return "", fmt.Errorf("graph: decode requirements: %w", err)
	}
	return methods.MFAState(w.PerUserMFAState), nil
}

func jsonRequest(c *Client, method abs.HttpMethod, template string, params map[string]string, body any) (*abs.RequestInformation, error) {
	ri := rawRequest(c.beta, method, template, params)
	if body == nil {
		return ri, nil
	}
	return ri, setJSONBody(ri, body)
}

type phoneJSON struct {
	PhoneNumber string `json:"phoneNumber"`
	PhoneType   string `json:"phoneType"`
}

// AddPhoneRequest is POST phoneMethods (v1.0/api/authentication-post-phonemethods.md).
func (c *Client) AddPhoneRequest(user, number string, t methods.PhoneType) (*abs.RequestInformation, error) {
	return jsonRequest(c, abs.POST, "/users/{user%2Did}/authentication/phoneMethods", userParams(user), phoneJSON{number, string(t)})
}

// UpdatePhoneRequest is PATCH on the phone type's fixed id
// (v1.0/api/phoneauthenticationmethod-update.md: the type cannot change).
func (c *Client) UpdatePhoneRequest(user, number string, t methods.PhoneType) (*abs.RequestInformation, error) {
	p := userParams(user)
	p["id"] = methods.PhoneMethodID(t)
	return jsonRequest(c, abs.PATCH, "/users/{user%2Did}/authentication/phoneMethods/{id}", p, phoneJSON{number, string(t)})
}

// SMSSignInRequest enables or disables SMS sign-in on the mobile phone
// (v1.0/api/phoneauthenticationmethod-enablesmssignin.md and its disable twin).
func (c *Client) SMSSignInRequest(user string, enable bool) (*abs.RequestInformation, error) {
	p := userParams(user)
	p["id"] = methods.MobilePhoneID
	action := "disableSmsSignIn"
	if enable {
		action = "enableSmsSignIn"
	}
	return jsonRequest(c, abs.POST, "/users/{user%2Did}/authentication/phoneMethods/{id}/"+action, p, nil)
}

type emailJSON struct {
	EmailAddress string `json:"emailAddress"`
}

// AddEmailRequest is POST emailMethods (v1.0/api/authentication-post-emailmethods.md).
func (c *Client) AddEmailRequest(user, address string) (*abs.RequestInformation, error) {
	return jsonRequest(c, abs.POST, "/users/{user%2Did}/authentication/emailMethods", userParams(user), emailJSON{address})
}

// UpdateEmailRequest is PATCH on the email method (v1.0/resources/emailauthenticationmethod.md).
func (c *Client) UpdateEmailRequest(user, id, address string) (*abs.RequestInformation, error) {
	p := userParams(user)
	p["id"] = id
	return jsonRequest(c, abs.PATCH, "/users/{user%2Did}/authentication/emailMethods/{id}", p, emailJSON{address})
}

type tapJSON struct {
	LifetimeInMinutes int  `json:"lifetimeInMinutes,omitempty"`
	IsUsableOnce      bool `json:"isUsableOnce"`
}

// CreateTAPRequest is POST temporaryAccessPassMethods
// (v1.0/api/authentication-post-temporaryaccesspassmethods.md); the answer
// carries the pass, once.
func (c *Client) CreateTAPRequest(user string, minutes int, once bool) (*abs.RequestInformation, error) {
	return jsonRequest(c, abs.POST, "/users/{user%2Did}/authentication/temporaryAccessPassMethods", userParams(user), tapJSON{minutes, once})
}

// DeleteMethodRequest is DELETE through the method type's collection
// (v1.0/resources/authentication.md lists them). The password and hardware
// tokens cannot be deleted this way.
func (c *Client) DeleteMethodRequest(user string, kind methods.Kind, id string) (*abs.RequestInformation, error) {
	seg := kind.CollectionSegment()
	if kind == methods.KindUnknown || kind == methods.KindPassword || kind == methods.KindHardwareOath {
		return nil, &UsageError{Msg: fmt.Sprintf("%s methods cannot be removed through Graph", kind.Label())}
	}
	p := userParams(user)
	p["id"] = id
	return jsonRequest(c, abs.DELETE, "/users/{user%2Did}/authentication/"+seg+"/{id}", p, nil)
}

// SetDefaultRequest is PATCH signInPreferences (beta/resources/signinpreferences.md).
func (c *Client) SetDefaultRequest(user string, d methods.DefaultMethod) (*abs.RequestInformation, error) {
	s := string(d)
	return jsonRequest(c, abs.PATCH, signInPreferencesPath, userParams(user), signInPreferencesJSON{UserPreferred: &s})
}

// SetMFAStateRequest is PATCH requirements (beta/resources/strongauthenticationrequirements.md).
func (c *Client) SetMFAStateRequest(user string, state methods.MFAState) (*abs.RequestInformation, error) {
	return jsonRequest(c, abs.PATCH, requirementsPath, userParams(user), requirementsJSON{PerUserMFAState: string(state)})
}

// RevokeSessionsRequest is POST revokeSignInSessions (v1.0/api/user-revokesigninsessions.md).
func (c *Client) RevokeSessionsRequest(user string) (*abs.RequestInformation, error) {
	return jsonRequest(c, abs.POST, "/users/{user%2Did}/revokeSignInSessions", userParams(user), nil)
}

// DecodeMethod decodes one method as a create answers it (a TAP with its
// pass).
func DecodeMethod(body []byte) (methods.Method, error) {
	var w wireMethod
	if err := json.Unmarshal(body, &w); err != nil {
		return methods.Method{}, fmt.Errorf("graph: decode method: %w", err)
	}
	m := w.Method
	if k := methods.KindFromODataType(w.ODataType); k != methods.KindUnknown {
		m.Kind = k
	}
	return m, nil
}
