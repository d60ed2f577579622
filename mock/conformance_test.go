package mock_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
)

// Conformance: every endpoint mfactl calls, sent as the Graph API
// reference documents the request (repository
// microsoftgraph/microsoft-graph-docs-contrib, the page named in each
// case), to `mock serve` over HTTP. Each case checks the status, the
// headers every Graph answer carries, and the documented property names
// with their JSON types. The facts are the docs'; the mock is not consulted
// for them.

// conformanceCase is one documented request.
type conformanceCase struct {
	name  string
	doc   string // the docs page, relative to the repository root
	token string // default: the admin token
	// setup runs first on the case's own server and returns placeholders
	// ("{hw}") to replace in path and body.
	setup   func(t *testing.T, c *conformanceClient) map[string]string
	method  string
	path    string // from the server root: /v1.0/... or /beta/...
	header  map[string]string
	body    string
	status  int
	headers []string // response headers that must be present
	// props are top-level properties and their JSON types: string,
	// boolean, number, array, object, null; "string|null" allows either.
	props map[string]string
	// item are the properties of every element of "value" (collections)
	// or "responses" ($batch).
	item map[string]string
}

type conformanceClient struct {
	t    *testing.T
	base string
}

type conformanceResponse struct {
	status int
	header http.Header
	body   []byte
}

func (c *conformanceClient) do(token, method, path string, header map[string]string, body string) conformanceResponse {
	c.t.Helper()
	var rdr io.Reader
	if body != "" {
		rdr = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rdr)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return conformanceResponse{status: res.StatusCode, header: res.Header, body: b}
}

// jsonObject decodes a JSON object body.
func (c *conformanceClient) jsonObject(r conformanceResponse) map[string]any {
	c.t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		c.t.Fatalf("status %d: body is not a JSON object: %v: %s", r.status, err, r.body)
	}
	return m
}

// jsonType names a decoded JSON value's type.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func checkProps(t *testing.T, where string, obj map[string]any, want map[string]string) {
	t.Helper()
	for prop, types := range want {
		v, ok := obj[prop]
		if !ok {
			t.Errorf("%s: no property %q (documented as %s)", where, prop, types)
			continue
		}
		if got := jsonType(v); !strings.Contains("|"+types+"|", "|"+got+"|") {
			t.Errorf("%s: %q is %s %v, documented as %s", where, prop, got, v, types)
		}
	}
}

const (
	adeleUPN = "adele.vance@contoso.example"
	alexUPN  = "alex.wilber@contoso.example"
	gradyUPN = "grady.archie@contoso.example"
)

// The types of the documented error envelope (concepts/errors.md).
var errorProps = map[string]string{"error": "object"}

func conformanceCases() []conformanceCase {
	user := map[string]string{"id": "string", "displayName": "string|null", "userPrincipalName": "string", "mail": "string|null",
		"businessPhones": "array", "givenName": "string|null", "surname": "string|null", "jobTitle": "string|null",
		"mobilePhone": "string|null", "officeLocation": "string|null", "preferredLanguage": "string|null"}
	collection := map[string]string{"@odata.context": "string", "value": "array"}
	phone := map[string]string{"@odata.type": "string", "id": "string", "phoneNumber": "string", "phoneType": "string", "smsSignInState": "string"}
	registration := map[string]string{"id": "string", "userPrincipalName": "string", "userDisplayName": "string", "userType": "string",
		"isAdmin": "boolean", "isSsprRegistered": "boolean", "isSsprEnabled": "boolean", "isSsprCapable": "boolean",
		"isMfaRegistered": "boolean", "isMfaCapable": "boolean", "isPasswordlessCapable": "boolean", "lastUpdatedDateTime": "string",
		"methodsRegistered": "array", "isSystemPreferredAuthenticationMethodEnabled": "boolean",
		"systemPreferredAuthenticationMethods": "array", "userPreferredMethodForSecondaryAuthentication": "string"}
	device := map[string]string{"id": "string", "serialNumber": "string", "manufacturer": "string", "model": "string",
		"secretKey": "null", "timeIntervalInSeconds": "number", "hashFunction": "string", "status": "string",
		"displayName": "string|null", "assignedTo": "object|null", "lastUsedDateTime": "string|null"}
	const (
		inventory = "/beta/directory/authenticationMethodDevices/hardwareOathDevices"
		tapConfig = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"
	)
	newDevice := func(t *testing.T, c *conformanceClient) map[string]string {
		r := c.do(mock.DefaultAdminToken, "POST", inventory, nil, `{"serialNumber":"CONF-1","manufacturer":"Contoso","model":"OTP-C200","secretKey":"MZXW6YTBOIZDEMRSMZXW6YTBOIZDEMRS","timeIntervalInSeconds":30,"hashFunction":"hmacsha1"}`)
		if r.status != 201 {
			t.Fatalf("setup: create a token: %d %s", r.status, r.body)
		}
		return map[string]string{"{hw}": c.jsonObject(r)["id"].(string)}
	}
	resetOp := func(t *testing.T, c *conformanceClient) map[string]string {
		r := c.do(mock.DefaultAdminToken, "POST", "/v1.0/users/"+alexUPN+"/authentication/methods/"+methods.PasswordMethodID+"/resetPassword", nil, `{}`)
		if r.status != 202 {
			t.Fatalf("setup: reset a password: %d %s", r.status, r.body)
		}
		loc := r.header.Get("Location")
		return map[string]string{"{op}": loc[strings.LastIndex(loc, "/")+1:]}
	}
	role := func(t *testing.T, c *conformanceClient) map[string]string {
		r := c.do(mock.DefaultAdminToken, "GET", "/v1.0/directoryRoles", nil, "")
		for _, v := range c.jsonObject(r)["value"].([]any) {
			if m := v.(map[string]any); m["displayName"] == "Privileged Authentication Administrator" {
				return map[string]string{"{role}": m["id"].(string)}
			}
		}
		t.Fatalf("setup: no Privileged Authentication Administrator role: %s", r.body)
		return nil
	}
	return []conformanceCase{
		// Users.
		{name: "list users", doc: "api-reference/v1.0/api/user-list.md", method: "GET", path: "/v1.0/users?$select=id,userPrincipalName,displayName,accountEnabled,userType&$top=5",
			status: 200, props: map[string]string{"@odata.context": "string", "value": "array", "@odata.nextLink": "string"},
			item: map[string]string{"id": "string", "userPrincipalName": "string", "displayName": "string", "accountEnabled": "boolean", "userType": "string"}},
		{name: "get a user by UPN", doc: "api-reference/v1.0/api/user-get.md", method: "GET", path: "/v1.0/users/" + adeleUPN, status: 200, props: user},
		{name: "get a user by users('UPN')", doc: "api-reference/v1.0/api/user-get.md", method: "GET", path: "/v1.0/users('" + adeleUPN + "')", status: 200, props: user},
		{name: "get the signed-in user", doc: "api-reference/v1.0/api/user-get.md", method: "GET", path: "/v1.0/me", status: 200, props: user},
		{name: "count users", doc: "api-reference/v1.0/api/user-list.md", method: "GET", path: "/v1.0/users/$count?$filter=accountEnabled%20eq%20false",
			header: map[string]string{"ConsistencyLevel": "eventual"}, status: 200},
		{name: "list users with an advanced filter", doc: "includes/filter-directory-objects.md", method: "GET", path: "/v1.0/users?$filter=userType%20ne%20'Guest'&$count=true&$select=id",
			header: map[string]string{"ConsistencyLevel": "eventual"}, status: 200, props: map[string]string{"@odata.count": "number", "value": "array"}},
		{name: "an advanced filter without its parameters", doc: "includes/filter-directory-objects.md", method: "GET", path: "/v1.0/users?$filter=userType%20ne%20'Guest'",
			status: 400, props: errorProps},
		{name: "revoke sign-in sessions", doc: "api-reference/v1.0/api/user-revokesigninsessions.md", method: "POST", path: "/v1.0/users/" + alexUPN + "/revokeSignInSessions",
			status: 200, props: map[string]string{"@odata.context": "string", "value": "boolean"}},
		{name: "revoke sign-in sessions by users('UPN')", doc: "api-reference/v1.0/api/user-revokesigninsessions.md", method: "POST", path: "/v1.0/users('" + alexUPN + "')/revokeSignInSessions",
			status: 200, props: map[string]string{"value": "boolean"}},

		// Authentication methods.
		{name: "list methods (beta: every type)", doc: "api-reference/beta/api/authentication-list-methods.md", method: "GET", path: "/beta/users/" + gradyUPN + "/authentication/methods",
			status: 200, props: collection, item: map[string]string{"@odata.type": "string", "id": "string"}},
		{name: "list methods (v1.0)", doc: "api-reference/v1.0/api/authentication-list-methods.md", method: "GET", path: "/v1.0/users('" + adeleUPN + "')/authentication/methods",
			status: 200, props: collection, item: map[string]string{"@odata.type": "string", "id": "string"}},
		{name: "list phone methods", doc: "api-reference/v1.0/api/authentication-list-phonemethods.md", method: "GET", path: "/v1.0/users/" + adeleUPN + "/authentication/phoneMethods",
			status: 200, props: collection, item: phone},
		{name: "add a mobile phone", doc: "api-reference/v1.0/api/authentication-post-phonemethods.md", method: "POST", path: "/v1.0/users/" + alexUPN + "/authentication/phoneMethods",
			body: `{"phoneNumber":"+1 2065555555","phoneType":"mobile"}`, status: 201, props: phone},
		{name: "add a mobile phone with an extension", doc: "api-reference/v1.0/resources/phoneauthenticationmethod.md", method: "POST", path: "/v1.0/users/" + alexUPN + "/authentication/phoneMethods",
			body: `{"phoneNumber":"+1 2065555555x123","phoneType":"mobile"}`, status: 201, props: phone},
		{name: "update a phone", doc: "api-reference/v1.0/api/phoneauthenticationmethod-update.md", method: "PATCH", path: "/v1.0/users/" + adeleUPN + "/authentication/phoneMethods/" + methods.MobilePhoneID,
			body: `{"phoneNumber":"+1 2065555554","phoneType":"mobile"}`, status: 204},
		{name: "enable SMS sign-in", doc: "api-reference/v1.0/api/phoneauthenticationmethod-enablesmssignin.md", method: "POST", path: "/v1.0/users/" + adeleUPN + "/authentication/phoneMethods/" + methods.MobilePhoneID + "/enableSmsSignIn", status: 204},
		{name: "disable SMS sign-in", doc: "api-reference/v1.0/api/phoneauthenticationmethod-disablesmssignin.md", method: "POST", path: "/v1.0/users/" + adeleUPN + "/authentication/phoneMethods/" + methods.MobilePhoneID + "/disableSmsSignIn", status: 204},
		{name: "delete my own phone through /me", doc: "api-reference/v1.0/api/phoneauthenticationmethod-delete.md", token: mock.AuthAdminToken,
			setup: func(t *testing.T, c *conformanceClient) map[string]string {
				if r := c.do(mock.AuthAdminToken, "POST", "/v1.0/me/authentication/phoneMethods", nil, `{"phoneNumber":"+1 2065555556","phoneType":"office"}`); r.status != 201 {
					t.Fatalf("setup: %d %s", r.status, r.body)
				}
				return nil
			},
			method: "DELETE", path: "/v1.0/me/authentication/phoneMethods/" + methods.OfficePhoneID, status: 204},
		{name: "add an email method", doc: "api-reference/v1.0/api/authentication-post-emailmethods.md", method: "POST", path: "/v1.0/users/" + alexUPN + "/authentication/emailMethods",
			body: `{"emailAddress":"alex@fabrikam.example"}`, status: 201, props: map[string]string{"id": "string", "emailAddress": "string"}},
		{name: "create a Temporary Access Pass", doc: "api-reference/v1.0/api/authentication-post-temporaryaccesspassmethods.md", method: "POST", path: "/v1.0/users/" + alexUPN + "/authentication/temporaryAccessPassMethods",
			body: `{"isUsableOnce":true}`, status: 201,
			props: map[string]string{"id": "string", "temporaryAccessPass": "string", "createdDateTime": "string", "startDateTime": "string",
				"lifetimeInMinutes": "number", "isUsableOnce": "boolean", "isUsable": "boolean", "methodUsabilityReason": "string"}},
		{name: "delete a software OATH method", doc: "api-reference/v1.0/api/softwareoathauthenticationmethod-delete.md",
			setup: func(t *testing.T, c *conformanceClient) map[string]string {
				r := c.do(mock.DefaultAdminToken, "GET", "/v1.0/users/"+adeleUPN+"/authentication/softwareOathMethods", nil, "")
				vs := c.jsonObject(r)["value"].([]any)
				if len(vs) == 0 {
					t.Fatalf("setup: adele has no software OATH method: %s", r.body)
				}
				return map[string]string{"{id}": vs[0].(map[string]any)["id"].(string)}
			},
			method: "DELETE", path: "/v1.0/users/" + adeleUPN + "/authentication/softwareOathMethods/{id}", status: 204},
		{name: "reset a password", doc: "api-reference/v1.0/api/authenticationmethod-resetpassword.md", method: "POST",
			path: "/v1.0/users/" + alexUPN + "/authentication/methods/" + methods.PasswordMethodID + "/resetPassword", body: `{"newPassword":"Cuyo5459!x"}`,
			status: 202, headers: []string{"Location", "Retry-After"}},
		{name: "reset a password (beta passwordMethods)", doc: "api-reference/beta/api/passwordauthenticationmethod-resetpassword.md", method: "POST",
			path: "/beta/users/" + alexUPN + "/authentication/passwordMethods/" + methods.PasswordMethodID + "/resetPassword", body: `{}`,
			status: 202, headers: []string{"Location"}, props: map[string]string{"newPassword": "string"}},
		{name: "get a password reset operation", doc: "api-reference/v1.0/api/longrunningoperation-get.md", setup: resetOp, method: "GET",
			path: "/v1.0/users/" + alexUPN + "/authentication/operations/{op}", status: 200,
			props: map[string]string{"id": "string", "status": "string", "createdDateTime": "string", "lastActionDateTime": "string", "resourceLocation": "string", "statusDetail": "string|null"}},
		{name: "list operations", doc: "api-reference/v1.0/resources/authentication.md", setup: resetOp, method: "GET",
			path: "/v1.0/users/" + alexUPN + "/authentication/operations", status: 200, props: collection, item: map[string]string{"id": "string", "status": "string"}},

		// Sign-in preferences and per-user MFA (beta).
		{name: "get sign-in preferences", doc: "api-reference/beta/api/authentication-get.md", method: "GET", path: "/beta/users/" + adeleUPN + "/authentication/signInPreferences",
			status: 200, props: map[string]string{"isSystemPreferredAuthenticationMethodEnabled": "boolean", "userPreferredMethodForSecondaryAuthentication": "string|null"}},
		{name: "set the preferred method", doc: "api-reference/beta/api/authentication-update.md", method: "PATCH", path: "/beta/users/" + adeleUPN + "/authentication/signInPreferences",
			body: `{"userPreferredMethodForSecondaryAuthentication":"sms"}`, status: 204},
		{name: "get the per-user MFA state", doc: "api-reference/beta/api/authentication-get.md", method: "GET", path: "/beta/users/" + adeleUPN + "/authentication/requirements",
			status: 200, props: map[string]string{"perUserMfaState": "string"}},
		{name: "the Authentication Administrator may not read per-user MFA", doc: "api-reference/beta/includes/rbac-for-apis/rbac-authentication-methods-policy-apis-read.md",
			token: mock.AuthAdminToken, method: "GET", path: "/beta/users/" + alexUPN + "/authentication/requirements", status: 403, props: errorProps},
		{name: "the Global Reader reads per-user MFA", doc: "api-reference/beta/includes/rbac-for-apis/rbac-authentication-methods-policy-apis-read.md",
			token: mock.GlobalReaderToken, method: "GET", path: "/beta/users/" + alexUPN + "/authentication/requirements", status: 200, props: map[string]string{"perUserMfaState": "string"}},
		{name: "set the per-user MFA state", doc: "api-reference/beta/api/authentication-update.md", method: "PATCH", path: "/beta/users/" + alexUPN + "/authentication/requirements",
			body: `{"perUserMfaState":"enforced"}`, status: 204},

		// Directory roles.
		{name: "list directory roles", doc: "api-reference/v1.0/api/directoryrole-list.md", method: "GET", path: "/v1.0/directoryRoles",
			status: 200, props: collection, item: map[string]string{"id": "string", "displayName": "string", "roleTemplateId": "string"}},
		{name: "list a role's members", doc: "api-reference/v1.0/api/directoryrole-list-members.md", setup: role, method: "GET", path: "/v1.0/directoryRoles/{role}/members?$select=id",
			status: 200, props: collection, item: map[string]string{"@odata.type": "string", "id": "string"}},

		// Hardware OATH tokens (beta).
		{name: "list hardware tokens", doc: "api-reference/beta/api/authenticationmethoddevice-list-hardwareoathdevices.md", method: "GET", path: inventory,
			status: 200, props: collection, item: device},
		{name: "create a hardware token", doc: "api-reference/beta/api/authenticationmethoddevice-post-hardwareoathdevices.md", method: "POST", path: inventory,
			body:   `{"serialNumber":"CONF-2","manufacturer":"Contoso","model":"OTP-C200","secretKey":"MZXW6YTBOIZDEMRSMZXW6YTBOIZDEMRS","timeIntervalInSeconds":30,"hashFunction":"hmacsha1"}`,
			status: 201, props: device},
		{name: "get a hardware token", doc: "api-reference/beta/api/hardwareoathtokenauthenticationmethoddevice-get.md", setup: newDevice, method: "GET", path: inventory + "/{hw}", status: 200, props: device},
		{name: "update a hardware token", doc: "api-reference/beta/api/hardwareoathtokenauthenticationmethoddevice-update.md", setup: newDevice, method: "PATCH", path: inventory + "/{hw}",
			body: `{"displayName":"Front desk fob"}`, status: 204},
		{name: "delete a hardware token", doc: "api-reference/beta/api/authenticationmethoddevice-delete-hardwareoathdevices.md", setup: newDevice, method: "DELETE", path: inventory + "/{hw}", status: 204},
		{name: "list a user's hardware OATH methods", doc: "api-reference/beta/api/authentication-list-hardwareoathmethods.md", method: "GET", path: "/beta/users/" + gradyUPN + "/authentication/hardwareOathMethods",
			status: 200, props: collection, item: map[string]string{"id": "string", "device": "object"}},
		{name: "assign a hardware token", doc: "api-reference/beta/api/authentication-post-hardwareoathmethods.md", setup: newDevice, method: "POST", path: "/beta/users/" + alexUPN + "/authentication/hardwareOathMethods",
			body: `{"device":{"id":"{hw}"}}`, status: 201, props: map[string]string{"id": "string"}},

		// Registration reports.
		{name: "list registration details", doc: "api-reference/v1.0/api/authenticationmethodsroot-list-userregistrationdetails.md", token: mock.ReportsReaderToken,
			method: "GET", path: "/v1.0/reports/authenticationMethods/userRegistrationDetails", status: 200, props: collection, item: registration},
		{name: "filter registration details", doc: "api-reference/v1.0/api/authenticationmethodsroot-list-userregistrationdetails.md", token: mock.ReportsReaderToken,
			method: "GET", path: "/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=isMfaRegistered%20eq%20true&$orderBy=userPrincipalName", status: 200, props: collection, item: registration},
		{name: "users registered by method", doc: "api-reference/v1.0/resources/userregistrationmethodsummary.md", token: mock.ReportsReaderToken,
			method: "GET", path: "/v1.0/reports/authenticationMethods/usersRegisteredByMethod(includedUserTypes='all',includedUserRoles='all')", status: 200,
			props: map[string]string{"totalUserCount": "number", "userTypes": "string", "userRoles": "string", "userRegistrationMethodCounts": "array"}},
		{name: "users registered by feature", doc: "api-reference/v1.0/resources/userregistrationfeaturesummary.md", token: mock.ReportsReaderToken,
			method: "GET", path: "/v1.0/reports/authenticationMethods/usersRegisteredByFeature(includedUserTypes='all',includedUserRoles='all')", status: 200,
			props: map[string]string{"totalUserCount": "number", "userTypes": "string", "userRoles": "string", "userRegistrationFeatureCounts": "array"}},

		// The authentication methods policy.
		{name: "get the Temporary Access Pass policy", doc: "api-reference/v1.0/api/temporaryaccesspassauthenticationmethodconfiguration-get.md", method: "GET", path: tapConfig,
			status: 200, props: map[string]string{"@odata.type": "string", "id": "string", "state": "string", "defaultLifetimeInMinutes": "number",
				"defaultLength": "number", "minimumLifetimeInMinutes": "number", "maximumLifetimeInMinutes": "number", "isUsableOnce": "boolean", "includeTargets": "array"}},
		{name: "update the Temporary Access Pass policy", doc: "api-reference/v1.0/api/temporaryaccesspassauthenticationmethodconfiguration-update.md", method: "PATCH", path: tapConfig,
			body: `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","isUsableOnce":true}`, status: 204},
		{name: "update a configuration without @odata.type", doc: "api-reference/v1.0/api/temporaryaccesspassauthenticationmethodconfiguration-update.md", method: "PATCH", path: tapConfig,
			body: `{"isUsableOnce":true}`, status: 400, props: errorProps},
		{name: "revert the Temporary Access Pass policy", doc: "api-reference/v1.0/api/temporaryaccesspassauthenticationmethodconfiguration-delete.md", method: "DELETE", path: tapConfig, status: 204},
		{name: "get the X509 certificate configuration", doc: "api-reference/v1.0/resources/x509certificateauthenticationmethodconfiguration.md", method: "GET",
			path: "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/X509Certificate", status: 200,
			props: map[string]string{"@odata.type": "string", "id": "string", "state": "string", "certificateUserBindings": "array", "authenticationModeConfiguration": "object"}},

		// JSON batching.
		{name: "a JSON batch", doc: "concepts/json-batching.md", method: "POST", path: "/v1.0/$batch",
			body:   `{"requests":[{"id":"1","method":"GET","url":"/users/` + adeleUPN + `"},{"id":"2","method":"GET","url":"/users/` + alexUPN + `/authentication/methods"},{"id":"3","method":"GET","url":"/me"}]}`,
			status: 200, props: map[string]string{"responses": "array"}, item: map[string]string{"id": "string", "status": "number", "headers": "object", "body": "object"}},
	}
}

func TestConformance(t *testing.T) {
	for _, tc := range conformanceCases() {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := mock.NewServer(mock.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { srv.Close() })
			if err := srv.Listen("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			c := &conformanceClient{t: t, base: srv.URL()}
			path, body := tc.path, tc.body
			if tc.setup != nil {
				for k, v := range tc.setup(t, c) {
					path, body = strings.ReplaceAll(path, k, v), strings.ReplaceAll(body, k, v)
				}
			}
			token := tc.token
			if token == "" {
				token = mock.DefaultAdminToken
			}
			const clientID = "0c3a4a7e-1b1f-4c1e-9d5e-2f5c6d7e8f90"
			header := map[string]string{"client-request-id": clientID}
			for k, v := range tc.header {
				header[k] = v
			}
			r := c.do(token, tc.method, path, header, body)
			if r.status != tc.status {
				t.Fatalf("%s %s (%s): %d, want %d: %s", tc.method, path, tc.doc, r.status, tc.status, r.body)
			}
			// Every answer carries request-id and echoes client-request-id
			// (concepts/errors.md; concepts/best-practices-concept.md).
			for _, h := range append([]string{"request-id"}, tc.headers...) {
				if r.header.Get(h) == "" {
					t.Errorf("no %s header (%s)", h, tc.doc)
				}
			}
			if got := r.header.Get("client-request-id"); got != clientID {
				t.Errorf("client-request-id %q, want the one sent", got)
			}
			if len(r.body) == 0 {
				if tc.props != nil {
					t.Fatalf("empty body, documented properties %v", tc.props)
				}
				return
			}
			if strings.HasSuffix(strings.SplitN(path, "?", 2)[0], "/$count") {
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || strings.Trim(string(r.body), "0123456789") != "" {
					t.Errorf("$count: %s %q", ct, r.body)
				}
				return
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			obj := c.jsonObject(r)
			checkProps(t, tc.name, obj, tc.props)
			if tc.status >= 400 {
				e := obj["error"].(map[string]any)
				checkProps(t, tc.name+": error", e, map[string]string{"code": "string", "message": "string", "innerError": "object"})
				checkProps(t, tc.name+": innerError", e["innerError"].(map[string]any), map[string]string{"request-id": "string", "client-request-id": "string", "date": "string"})
				return
			}
			if tc.item == nil {
				return
			}
			list, _ := obj["value"].([]any)
			if list == nil {
				list, _ = obj["responses"].([]any)
			}
			if len(list) == 0 {
				t.Fatalf("no items to check: %s", r.body)
			}
			for i, v := range list {
				checkProps(t, fmt.Sprintf("%s: item %d", tc.name, i), v.(map[string]any), tc.item)
			}
		})
	}
}

// The v1.0 list has only v1.0 types: Grady's hardware OATH token is in the
// beta list only (api-reference/v1.0/api/authentication-list-methods.md).
func TestConformanceHardwareOATHIsBetaOnly(t *testing.T) {
	srv, err := mock.NewServer(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	c := &conformanceClient{t: t, base: srv.URL()}
	count := func(version string) int {
		obj := c.jsonObject(c.do(mock.DefaultAdminToken, "GET", "/"+version+"/users/"+gradyUPN+"/authentication/methods", nil, ""))
		n := 0
		for _, v := range obj["value"].([]any) {
			if v.(map[string]any)["@odata.type"] == "#microsoft.graph.hardwareOathAuthenticationMethod" {
				n++
			}
		}
		return n
	}
	if v1, beta := count("v1.0"), count("beta"); v1 != 0 || beta != 1 {
		t.Errorf("hardware OATH methods: v1.0 %d, beta %d; want 0 and 1", v1, beta)
	}
}

// Accept: application/json;odata.metadata=none drops the control
// information but the nextLink and count (OData JSON Format 4.01, 3.1.3);
// $select names the selected properties in @odata.context, as Graph's
// examples show (api-reference/v1.0/api/user-get.md).
func TestConformanceODataMetadata(t *testing.T) {
	srv, err := mock.NewServer(mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	c := &conformanceClient{t: t, base: srv.URL()}
	none := map[string]string{"Accept": "application/json;odata.metadata=none"}
	obj := c.jsonObject(c.do(mock.DefaultAdminToken, "GET", "/v1.0/users?$top=2", none, ""))
	if _, ok := obj["@odata.context"]; ok {
		t.Errorf("odata.metadata=none still has @odata.context")
	}
	if _, ok := obj["@odata.nextLink"]; !ok {
		t.Errorf("odata.metadata=none dropped the nextLink")
	}
	obj = c.jsonObject(c.do(mock.DefaultAdminToken, "GET", "/v1.0/users/"+adeleUPN+"/authentication/methods", none, ""))
	for _, v := range obj["value"].([]any) {
		if _, ok := v.(map[string]any)["@odata.type"]; ok {
			t.Errorf("odata.metadata=none still has @odata.type on an item")
		}
	}
	tests := []struct{ path, want string }{
		{"/v1.0/users/" + adeleUPN + "?$select=displayName,mail", "/v1.0/$metadata#users(displayName,mail)/$entity"},
		{"/v1.0/users?$select=id,displayName&$top=1", "/v1.0/$metadata#users(id,displayName)"},
		{"/v1.0/users/" + adeleUPN, "/v1.0/$metadata#users/$entity"},
	}
	for _, tt := range tests {
		got, _ := c.jsonObject(c.do(mock.DefaultAdminToken, "GET", tt.path, nil, ""))["@odata.context"].(string)
		if !strings.HasSuffix(got, tt.want) {
			t.Errorf("%s: @odata.context %q, want ...%s", tt.path, got, tt.want)
		}
	}
	// Without client-request-id the answer still carries one.
	r := c.do(mock.DefaultAdminToken, "GET", "/v1.0/users/nobody@contoso.example", nil, "")
	inner := c.jsonObject(r)["error"].(map[string]any)["innerError"].(map[string]any)
	if r.header.Get("client-request-id") == "" || inner["client-request-id"] == nil {
		t.Errorf("no client-request-id when the client sent none: %v %v", r.header, inner)
	}
}
