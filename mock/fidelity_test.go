package mock_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/mock"
)

func fidelityServer(t *testing.T, r mock.Realism) *conformanceClient {
	t.Helper()
	srv, err := mock.NewServer(mock.Options{Realism: r})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return &conformanceClient{t: t, base: srv.URL()}
}

// batchOrder sends a batch of n GETs and returns the response ids in the
// order they came.
func batchOrder(c *conformanceClient, n int) string {
	var reqs []string
	for i := 1; i <= n; i++ {
		reqs = append(reqs, fmt.Sprintf(`{"id":"%d","method":"GET","url":"/me"}`, i))
	}
	r := c.do(mock.DefaultAdminToken, "POST", "/v1.0/$batch", nil, `{"requests":[`+strings.Join(reqs, ",")+`]}`)
	var ids []string
	for _, v := range c.jsonObject(r)["responses"].([]any) {
		ids = append(ids, v.(map[string]any)["id"].(string))
	}
	return strings.Join(ids, " ")
}

// "The individual responses might appear in a different order than the
// requests" (concepts/json-batching.md): by default every batch of two or
// more is answered out of order, reproducibly for a seed; --batch-order
// request keeps request order.
func TestBatchResponseOrder(t *testing.T) {
	const inOrder = "1 2 3 4 5 6"
	a := fidelityServer(t, mock.Realism{BatchSeed: 42})
	b := fidelityServer(t, mock.Realism{BatchSeed: 42})
	for i := 0; i < 3; i++ {
		oa, ob := batchOrder(a, 6), batchOrder(b, 6)
		if oa == inOrder {
			t.Errorf("batch %d answered in request order", i)
		}
		if oa != ob {
			t.Errorf("batch %d: seed 42 gave %q and %q", i, oa, ob)
		}
	}
	if got := batchOrder(fidelityServer(t, mock.Realism{BatchOrder: mock.BatchOrderRequest}), 6); got != inOrder {
		t.Errorf("--batch-order request: %q", got)
	}
	if got := batchOrder(a, 1); got != "1" {
		t.Errorf("one request: %q", got)
	}
}

// --strict-reports refuses $top on the registration report, which
// documents only $filter and $orderBy, and still pages without it.
func TestStrictReportsRefuseTop(t *testing.T) {
	c := fidelityServer(t, mock.Realism{StrictReports: true})
	const path = "/v1.0/reports/authenticationMethods/userRegistrationDetails"
	r := c.do(mock.ReportsReaderToken, "GET", path+"?$top=999", nil, "")
	if e, _ := c.jsonObject(r)["error"].(map[string]any); r.status != 400 || !strings.Contains(fmt.Sprint(e["message"]), "$top") {
		t.Fatalf("$top: %d %s", r.status, r.body)
	}
	if r := c.do(mock.ReportsReaderToken, "GET", path+"?$filter=isAdmin%20eq%20false&$orderBy=userPrincipalName", nil, ""); r.status != 200 {
		t.Fatalf("documented options: %d %s", r.status, r.body)
	}
	if r := c.do(mock.ReportsReaderToken, "GET", path+"?$top=5", nil, ""); fidelityServer(t, mock.Realism{}).do(mock.ReportsReaderToken, "GET", path+"?$top=5", nil, "").status != 200 || r.status != 400 {
		t.Errorf("$top: strict %d; by default it is honoured", r.status)
	}
}

// --throttle graph,methods-as-reports charges per-user method reads to
// the reports budget of 5 requests per 10 s, with the reports limit's 429.
func TestThrottleMethodsAsReports(t *testing.T) {
	for _, tc := range []struct {
		throttle mock.Throttle
		limited  bool
	}{{mock.ThrottleGraph, false}, {mock.ThrottleGraphMethodsAsReports, true}} {
		c := fidelityServer(t, mock.Realism{Throttle: tc.throttle})
		var last conformanceResponse
		for i := 0; i < 6; i++ {
			last = c.do(mock.DefaultAdminToken, "GET", "/beta/users/"+adeleUPN+"/authentication/methods", nil, "")
		}
		if !tc.limited {
			if last.status != 200 {
				t.Errorf("%s: sixth method read %d", tc.throttle, last.status)
			}
			continue
		}
		if last.status != 429 || last.header.Get("Retry-After") == "" || !strings.Contains(last.header.Get("x-ms-throttle-information"), "RequestLimitExceeded") ||
			!strings.Contains(last.header.Get("x-ms-throttle-scope"), "/Read/") {
			t.Errorf("%s: sixth method read %d %v", tc.throttle, last.status, last.header)
		}
		// Other identity reads are not on that budget.
		if r := c.do(mock.DefaultAdminToken, "GET", "/v1.0/users/"+adeleUPN, nil, ""); r.status != 200 {
			t.Errorf("%s: a user read %d", tc.throttle, r.status)
		}
	}
}

// Rules of the authentication method pages, each against its docs page.
func TestMethodRulesAgainstTheDocs(t *testing.T) {
	c := fidelityServer(t, mock.Realism{})
	// "Self-service operations aren't supported"
	// (phoneauthenticationmethod-update.md): the helpdesk agent may not
	// PATCH a phone of their own, through /me or /users.
	// (The helpdesk agent has a mobile phone in the demo tenant.)
	for _, path := range []string{"/v1.0/me/authentication/phoneMethods/", "/v1.0/users/helpdesk@contoso.example/authentication/phoneMethods/"} {
		if r := c.do(mock.AuthAdminToken, "PATCH", path+methods.MobilePhoneID, nil, `{"phoneNumber":"+1 2065555511"}`); r.status != 403 {
			t.Errorf("self-service PATCH %s: %d %s", path, r.status, r.body)
		}
	}
	// enabled becomes enforced for a user who has an MFA method
	// (strongauthenticationrequirements.md); a user without stays enabled.
	for upn, want := range map[string]string{adeleUPN: "enforced", alexUPN: "enabled"} {
		if r := c.do(mock.DefaultAdminToken, "PATCH", "/beta/users/"+upn+"/authentication/requirements", nil, `{"perUserMfaState":"enabled"}`); r.status != 204 {
			t.Fatalf("%s: %d %s", upn, r.status, r.body)
		}
		if got := c.jsonObject(c.do(mock.DefaultAdminToken, "GET", "/beta/users/"+upn+"/authentication/requirements", nil, ""))["perUserMfaState"]; got != want {
			t.Errorf("%s: perUserMfaState %v, want %s", upn, got, want)
		}
	}
	// DELETE of a configuration reverts it
	// (temporaryaccesspassauthenticationmethodconfiguration-delete.md).
	const tap = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"
	c.do(mock.DefaultAdminToken, "PATCH", tap, nil, `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","defaultLength":12}`)
	if r := c.do(mock.DefaultAdminToken, "DELETE", tap, nil, ""); r.status != 204 {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if got := c.jsonObject(c.do(mock.DefaultAdminToken, "GET", tap, nil, ""))["defaultLength"]; got != float64(8) {
		t.Errorf("after DELETE defaultLength %v, want the default 8", got)
	}
	// $expand=device on an Authenticator method
	// (microsoftauthenticatorauthenticationmethod.md).
	obj := c.jsonObject(c.do(mock.DefaultAdminToken, "GET", "/v1.0/users/"+adeleUPN+"/authentication/microsoftAuthenticatorMethods?$expand=device", nil, ""))
	for _, v := range obj["value"].([]any) {
		m := v.(map[string]any)
		d, ok := m["device"]
		if !ok || (m["createdDateTime"] != nil) != (d != nil) {
			t.Errorf("device %v with createdDateTime %v", d, m["createdDateTime"])
		}
	}
	// users('{UPN}') addressing reaches authentication paths
	// (user-get.md), as users/{UPN} does.
	if r := c.do(mock.DefaultAdminToken, "GET", "/beta/users('"+adeleUPN+"')/authentication/signInPreferences", nil, ""); r.status != 200 {
		t.Errorf("users('UPN')/authentication: %d %s", r.status, r.body)
	}
	// A path that stops short names its last segment, never an empty one.
	r := c.do(mock.DefaultAdminToken, "GET", "/v1.0/users/"+adeleUPN+"/authentication/nothingHere", nil, "")
	if e := c.jsonObject(r)["error"].(map[string]any); r.status != 400 || !strings.Contains(fmt.Sprint(e["message"]), "'nothingHere'") {
		t.Errorf("unknown segment: %d %s", r.status, r.body)
	}
}
