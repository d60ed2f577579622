package mock_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/mock"
)

// Raw-HTTP tests (net/http, no SDK) for what the SDK cannot show: gzip
// bodies, percent-encoded function segments, batch edge cases, $filter
// errors, the exact wire shapes. Each runs in-process and over TCP.

type rawTarget struct {
	name   string
	base   string
	client *http.Client
}

// rawTargets gives each target its own server, so tests that write start
// from the demo tenant on both.
func rawTargets(t *testing.T) []rawTarget {
	t.Helper()
	newServer := func() *mock.Server {
		srv, err := mock.NewServer(mock.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv
	}
	inproc := newServer()
	tcp := newServer()
	if err := tcp.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	return []rawTarget{
		{"in-process", mock.InProcessRoot, &http.Client{Transport: inproc.Transport()}},
		{"tcp", tcp.URL(), &http.Client{}},
	}
}

type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body, failing the test when it is not JSON.
func (r rawResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d, body is not JSON: %v: %s", r.status, err, r.body)
	}
	return m
}

// errorOf returns the code and message of a Graph error body.
func (r rawResponse) errorOf(t *testing.T) (string, string) {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil {
		t.Fatalf("status %d without an error body: %s", r.status, r.body)
	}
	inner, _ := e["innerError"].(map[string]any)
	if inner == nil || inner["request-id"] == nil || inner["date"] == nil {
		t.Errorf("error without innerError request-id and date: %s", r.body)
	}
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	return code, msg
}

func (tg rawTarget) do(t *testing.T, token, method, path string, headers map[string]string, body []byte) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, tg.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := tg.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{resp.StatusCode, resp.Header, b}
}

func gzipped(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// batchResponses decodes a 200 batch response into entries by id.
func batchResponses(t *testing.T, r rawResponse) map[string]map[string]any {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("batch status %d: %s", r.status, r.body)
	}
	out := map[string]map[string]any{}
	for _, e := range r.json(t)["responses"].([]any) {
		m := e.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

func status(entry map[string]any) int { return int(entry["status"].(float64)) }

func TestRawBatchGzipBody(t *testing.T) {
	body := []byte(`{"requests":[{"id":"1","method":"GET","url":"/users/adele.vance@contoso.example?$select=id,accountEnabled"},
		{"id":"2","method":"GET","url":"/reports/authenticationMethods/usersRegisteredByFeature()"}]}`)
	for _, tg := range rawTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			r := tg.do(t, mock.DefaultAdminToken, "POST", "/v1.0/$batch", map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, gzipped(t, body))
			res := batchResponses(t, r)
			if status(res["1"]) != 200 || res["1"]["body"].(map[string]any)["accountEnabled"] != true {
				t.Errorf("request 1: %v", res["1"])
			}
			// Numbers at the top level of inner bodies are on the wire.
			if status(res["2"]) != 200 || res["2"]["body"].(map[string]any)["totalUserCount"] != float64(15) {
				t.Errorf("request 2: %v", res["2"])
			}
			bad := tg.do(t, mock.DefaultAdminToken, "POST", "/v1.0/$batch", map[string]string{"Content-Encoding": "gzip"}, body)
			if code, _ := bad.errorOf(t); bad.status != 400 || code != "BadRequest" {
				t.Errorf("a body that is not gzip: %d %s", bad.status, code)
			}
		})
	}
}

func TestRawBatchRejectsMalformedBatches(t *testing.T) {
	get := func(id string) string { return fmt.Sprintf(`{"id":%q,"method":"GET","url":"/me"}`, id) }
	var many []string
	for i := range 21 {
		many = append(many, get(fmt.Sprint(i)))
	}
	tests := []struct {
		name, body, message string
	}{
		{"21 requests", `{"requests":[` + strings.Join(many, ",") + `]}`, "The batch has 21 requests; a batch holds at most 20."},
		{"duplicate ids", `{"requests":[` + get("a") + `,` + get("A") + `]}`, "two requests with the id 'A'"},
		{"unknown dependsOn", `{"requests":[{"id":"1","method":"GET","url":"/me","dependsOn":["9"]}]}`, "Invalid dependency for request '1': '9' is not the id of an earlier request"},
		{"forward dependsOn", `{"requests":[{"id":"1","method":"GET","url":"/me","dependsOn":["2"]},` + get("2") + `]}`, "'2' is not the id of an earlier request"},
		{"self dependsOn", `{"requests":[{"id":"1","method":"GET","url":"/me","dependsOn":["1"]}]}`, "'1' is not the id of an earlier request"},
		{"malformed JSON", `{"requests":[`, "Invalid batch payload"},
		{"not an object", `[1,2]`, "Invalid batch payload"},
		{"no requests", `{"reqs":[]}`, "the property 'requests' is missing"},
		{"requests not an array", `{"requests":{}}`, "'requests' must be an array"},
		{"empty requests", `{"requests":[]}`, "'requests' is empty"},
		{"empty body", ``, "Empty batch payload"},
		{"no id", `{"requests":[{"method":"GET","url":"/me"}]}`, "Request 1 of the batch has no id."},
		{"no method", `{"requests":[{"id":"1","url":"/me"}]}`, "Request '1' has no method."},
		{"bad method", `{"requests":[{"id":"1","method":"TRACE","url":"/me"}]}`, "has the method 'TRACE'"},
		{"no url", `{"requests":[{"id":"1","method":"GET"}]}`, "Request '1' has no url."},
		{"nested batch", `{"requests":[{"id":"1","method":"POST","url":"/$batch","headers":{"Content-Type":"application/json"},"body":{"requests":[]}}]}`, "cannot contain another $batch"},
		{"nested batch, encoded", `{"requests":[{"id":"1","method":"POST","url":"%24batch"}]}`, "cannot contain another $batch"},
		{"other server", `{"requests":[{"id":"1","method":"GET","url":"https://graph.microsoft.com/v1.0/me"}]}`, "is not on this server"},
		{"body without Content-Type", `{"requests":[{"id":"1","method":"PATCH","url":"/me","body":{"a":1}}]}`, "has a body but no Content-Type header"},
		{"body of the wrong type", `{"requests":[{"id":"1","method":"PATCH","url":"/me","headers":{"Content-Type":"application/json"},"body":[1]}]}`, "neither a JSON object nor a base64 string"},
		{"body not base64", `{"requests":[{"id":"1","method":"PATCH","url":"/me","headers":{"Content-Type":"application/json"},"body":"***"}]}`, "is not base64"},
		{"id of the wrong type", `{"requests":[{"id":1,"method":"GET","url":"/me"}]}`, "Invalid request 1 of the batch"},
	}
	for _, tg := range rawTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			for _, tt := range tests {
				r := tg.do(t, mock.DefaultAdminToken, "POST", "/v1.0/$batch", map[string]string{"Content-Type": "application/json"}, []byte(tt.body))
				code, msg := r.errorOf(t)
				if r.status != 400 || code != "BadRequest" || !strings.Contains(msg, tt.message) {
					t.Errorf("%s: %d %s %q, want 400 BadRequest containing %q", tt.name, r.status, code, msg, tt.message)
				}
			}
			// Nothing of a refused batch is applied.
			patch := `{"requests":[{"id":"1","method":"PATCH","url":"/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Sms","headers":{"Content-Type":"application/json"},"body":{"state":"disabled"}},` + get("1") + `]}`
			if r := tg.do(t, mock.DefaultAdminToken, "POST", "/v1.0/$batch", nil, []byte(patch)); r.status != 400 {
				t.Fatalf("duplicate ids: %d", r.status)
			}
			cfg := tg.do(t, mock.DefaultAdminToken, "GET", "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Sms", nil, nil).json(t)
			if cfg["state"] != "enabled" {
				t.Errorf("a refused batch changed the policy: %v", cfg["state"])
			}
			if r := tg.do(t, mock.DefaultAdminToken, "GET", "/v1.0/$batch", nil, nil); r.status != 405 {
				t.Errorf("GET $batch: %d", r.status)
			}
		})
	}
}

func TestRawBatchDependencyChainAndInnerResponses(t *testing.T) {
	tapPatch := base64.StdEncoding.EncodeToString([]byte(`{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","maximumLifetimeInMinutes":600,"defaultLifetimeInMinutes":120}`))
	for _, tg := range rawTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			body := `{"requests":[
				{"id":"missing","method":"GET","url":"/users/nobody@contoso.example"},
				{"id":"second","method":"GET","url":"/me","dependsOn":["MISSING"]},
				{"id":"third","method":"GET","url":"/me","dependsOn":["second"]},
				{"id":"free","method":"GET","url":"users?$filter=userType eq 'Guest'&$count=true&$select=id","headers":{"ConsistencyLevel":"eventual"}},
				{"id":"patch","method":"PATCH","url":"/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass","headers":{"Content-Type":"application/json"},"body":"` + tapPatch + `"},
				{"id":"after","method":"GET","url":"` + tg.base + `/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass","dependsOn":["patch"]},
				{"id":"count","method":"GET","url":"/users/$count","headers":{"ConsistencyLevel":"eventual"}}
			]}`
			res := batchResponses(t, tg.do(t, mock.DefaultAdminToken, "POST", "/v1.0/$batch", nil, []byte(body)))
			if len(res) != 7 {
				t.Fatalf("%d responses", len(res))
			}
			if status(res["missing"]) != 404 {
				t.Errorf("missing: %v", res["missing"])
			}
			for _, id := range []string{"second", "third"} {
				e := res[id]
				if status(e) != 424 {
					t.Errorf("%s: status %d, want 424", id, status(e))
					continue
				}
				errBody := e["body"].(map[string]any)["error"].(map[string]any)
				if errBody["code"] != "FailedDependency" || errBody["innerError"] == nil {
					t.Errorf("%s: body %v", id, e["body"])
				}
			}
			for id, e := range res {
				h := e["headers"].(map[string]any)
				if status(e) == 204 {
					if _, has := e["body"]; has || h["Content-Type"] != nil {
						t.Errorf("%s: a 204 with a body or Content-Type: %v", id, e)
					}
					continue
				}
				if ct, _ := h["Content-Type"].(string); ct == "" {
					t.Errorf("%s: no \"Content-Type\" key (exact spelling) in %v", id, h)
				}
			}
			free := res["free"]["body"].(map[string]any)
			if status(res["free"]) != 200 || free["@odata.count"] != float64(1) {
				t.Errorf("free: %v", res["free"])
			}
			if status(res["patch"]) != 204 {
				t.Errorf("base64 PATCH: %v", res["patch"])
			}
			after := res["after"]["body"].(map[string]any)
			if status(res["after"]) != 200 || after["maximumLifetimeInMinutes"] != float64(600) || after["defaultLifetimeInMinutes"] != float64(120) {
				t.Errorf("absolute url after the patch: %v", res["after"])
			}
			if status(res["count"]) != 200 || res["count"]["body"] != fmt.Sprint(len(mock.DemoUsers())) || !strings.HasPrefix(res["count"]["headers"].(map[string]any)["Content-Type"].(string), "text/plain") {
				t.Errorf("$count inside a batch: %v", res["count"])
			}
		})
	}
}

func TestRawBatchUsesOuterTokenAndVersion(t *testing.T) {
	body := []byte(`{"requests":[
		{"id":"methods","method":"GET","url":"/users/adele.vance@contoso.example/authentication/methods"},
		{"id":"report","method":"GET","url":"/reports/authenticationMethods/userRegistrationDetails?$top=1"},
		{"id":"hardware","method":"GET","url":"/users/grady.archie@contoso.example/authentication/hardwareOathMethods"}]}`)
	for _, tg := range rawTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			res := batchResponses(t, tg.do(t, mock.ReportsReaderToken, "POST", "/v1.0/$batch", nil, body))
			if status(res["methods"]) != 403 || status(res["report"]) != 200 {
				t.Errorf("the reports token inside a batch: methods %d, report %d", status(res["methods"]), status(res["report"]))
			}
			beta := batchResponses(t, tg.do(t, mock.DefaultAdminToken, "POST", "/beta/$batch", nil, body))
			v1 := batchResponses(t, tg.do(t, mock.DefaultAdminToken, "POST", "/v1.0/$batch", nil, body))
			if status(beta["hardware"]) != 200 || status(v1["hardware"]) != 400 {
				t.Errorf("a beta-only path: beta batch %d, v1.0 batch %d", status(beta["hardware"]), status(v1["hardware"]))
			}
			rep := beta["report"]["body"].(map[string]any)["value"].([]any)[0].(map[string]any)
			if _, ok := rep["defaultMfaMethod"]; !ok {
				t.Errorf("the beta batch did not run its requests on beta: %v", rep)
			}
			if r := tg.do(t, "wrong-token", "POST", "/v1.0/$batch", nil, body); r.status != 401 {
				t.Errorf("a batch with a wrong token: %d", r.status)
			}
		})
	}
}

func TestRawFunctionSegments(t *testing.T) {
	const base = "/v1.0/reports/authenticationMethods/"
	tests := []struct {
		path   string
		status int
		types  string // userTypes echoed back, or the error code
		roles  string // userRoles echoed back, or part of the message
	}{
		{"usersRegisteredByMethod(includedUserTypes='all',includedUserRoles='all')", 200, "all", "all"},
		{"usersRegisteredByMethod%28includedUserTypes%3D%27all%27%2CincludedUserRoles%3D%27all%27%29", 200, "all", "all"},
		{"usersRegisteredByMethod(includedUserTypes=%27member%27,includedUserRoles=%27admin%27)", 200, "member", "admin"},
		{"usersRegisteredByMethod%28includedUserRoles%3D%27privilegedAdmin%27%2C%20includedUserTypes%3D%27guest%27%29", 200, "guest", "privilegedAdmin"},
		{"usersRegisteredByFeature(includedUserTypes='MEMBER',includedUserRoles='User')", 200, "member", "user"},
		{"usersRegisteredByFeature()", 200, "all", "all"},
		{"usersRegisteredByFeature%28%29", 200, "all", "all"},
		{"usersRegisteredByFeature", 200, "all", "all"},
		{"usersRegisteredByMethod(includedUserTypes='partners',includedUserRoles='all')", 400, "BadRequest", "includedUserTypes: use all, member or guest"},
		{"usersRegisteredByMethod(includedUserTypes='all',includedUserRoles='root')", 400, "BadRequest", "includedUserRoles: use all, privilegedAdmin, admin or user"},
		{"usersRegisteredByMethod(includedUserTypes='all')", 400, "BadRequest", "takes both includedUserTypes and includedUserRoles, or neither"},
		{"usersRegisteredByMethod(color='all',includedUserRoles='all')", 400, "BadRequest", "has no parameter 'color'"},
		{"usersRegisteredByMethod(includedUserTypes=all,includedUserRoles='all')", 400, "BadRequest", "is not quoted"},
		{"usersRegisteredByMethod(includedUserTypes='all',includedUserTypes='all')", 400, "BadRequest", "given twice"},
		{"usersRegisteredByMethod(includedUserTypes='all'", 400, "BadRequest", "missing its closing parenthesis"},
		{"usersRegisteredByMood()", 400, "BadRequest", "Resource not found for the segment 'usersRegisteredByMood()'"},
	}
	for _, tg := range rawTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			for _, tt := range tests {
				r := tg.do(t, mock.ReportsReaderToken, "GET", base+tt.path, nil, nil)
				if r.status != tt.status {
					t.Errorf("%s: status %d, want %d: %s", tt.path, r.status, tt.status, r.body)
					continue
				}
				if r.status != 200 {
					code, msg := r.errorOf(t)
					if code != tt.types || !strings.Contains(msg, tt.roles) {
						t.Errorf("%s: %s %q, want %s containing %q", tt.path, code, msg, tt.types, tt.roles)
					}
					continue
				}
				m := r.json(t)
				if m["userTypes"] != tt.types || m["userRoles"] != tt.roles {
					t.Errorf("%s: echoed %v %v, want %s %s", tt.path, m["userTypes"], m["userRoles"], tt.types, tt.roles)
				}
				if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
					t.Errorf("%s: Content-Type %q", tt.path, r.header.Get("Content-Type"))
				}
			}
		})
	}
}

func TestRawFilterErrors(t *testing.T) {
	eventual := map[string]string{"ConsistencyLevel": "eventual"}
	tests := []struct {
		path    string
		headers map[string]string
		status  int
		code    string
		message string
	}{
		{"/v1.0/users?$filter=userType%20eq%20'Guest'", nil, 200, "", ""},
		{"/v1.0/users?$filter=favoriteColor%20eq%20'blue'", nil, 400, "BadRequest", "Invalid filter clause: Could not find a property named 'favoriteColor' on type 'microsoft.graph.user'."},
		{"/v1.0/users?$filter=userType%20eq%20'Guest", nil, 400, "BadRequest", "Invalid filter clause: unterminated string literal at position 12"},
		{"/v1.0/users?$filter=userType%20eq%20'Guest'%20and", nil, 400, "BadRequest", "unexpected the end of the filter"},
		{"/v1.0/users?$filter=accountEnabled%20eq%20'yes'", nil, 400, "BadRequest", "incompatible types"},
		{"/v1.0/users?$filter=contains(displayName,'a')", nil, 400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'displayName' of resource 'User'."},
		{"/v1.0/users?$filter=userType%20ne%20'Guest'", nil, 400, "Request_UnsupportedQuery", "Operator 'ne' is not supported because the required parameters might be missing."},
		{"/v1.0/users?$filter=userType%20ne%20'Guest'", eventual, 400, "Request_UnsupportedQuery", "Operator 'ne' is not supported"},
		{"/v1.0/users?$filter=userType%20ne%20'Guest'&$count=true", eventual, 200, "", ""},
		{"/v1.0/users?$search=%22displayName:adele%22", nil, 400, "Request_UnsupportedQuery", "only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"},
		{"/v1.0/users?$search=%22displayName:adele%22", eventual, 200, "", ""},
		{"/v1.0/users?$search=%22displayName:adele%22%20OR%20%22mail:diego%22&$count=true", eventual, 200, "", ""},
		{"/v1.0/users?$search=displayName:adele", eventual, 400, "Request_BadRequest", "each clause is quoted"},
		{"/v1.0/users?$search=%22colour:red%22", eventual, 400, "Request_BadRequest", "'colour' cannot be searched"},
		{"/v1.0/users?$filter=startswith(jobTitle,'Dir')", nil, 400, "Request_UnsupportedQuery", "Operator 'startsWith' is not supported"},
		{"/v1.0/users?$filter=mobilePhone%20eq%20'x'", nil, 400, "Request_UnsupportedQuery", "Operator 'eq' is not supported"},
		{"/v1.0/users?$filter=mobilePhone%20eq%20'x'&$count=true", eventual, 200, "", ""},
		{"/v1.0/users?$filter=createdDateTime%20ge%202020-01-01T00:00:00Z", nil, 200, "", ""},
		{"/v1.0/users?$skip=5", nil, 400, "Request_BadRequest", "'$skip' is not supported by the service."},
		{"/v1.0/users?$count=maybe", eventual, 400, "Request_BadRequest", "Invalid value 'maybe' for $count"},
		{"/v1.0/users?$orderby=createdDateTime", nil, 400, "Request_UnsupportedQuery", "Unsupported sort property 'createdDateTime'"},
		{"/v1.0/users?$orderby=displayName%20sideways", nil, 400, "Request_BadRequest", "the direction must be asc or desc"},
		{"/v1.0/users?$top=1000", nil, 400, "Request_UnsupportedQuery", "Must be between 1 and 999"},
		{"/v1.0/users/$count", nil, 400, "Request_BadRequest", "$count is not currently supported."},
		{"/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=isAdmin%20ne%20true", nil, 400, "Request_UnsupportedQuery", "property 'isAdmin' of resource 'userRegistrationDetails'"},
		{"/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=methodsRegistered%20eq%20'email'", nil, 400, "Request_UnsupportedQuery", "property 'methodsRegistered'"},
		{"/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=lastUpdatedDateTime%20ge%202024-01-01", nil, 400, "Request_UnsupportedQuery", "property 'lastUpdatedDateTime'"},
		{"/v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=methodsRegistered/any(x:x%20eq%20'email'", nil, 400, "BadRequest", "expected ')'"},
		{"/v1.0/reports/authenticationMethods/userRegistrationDetails?$orderby=isAdmin", nil, 400, "Request_UnsupportedQuery", "sortable properties are userPrincipalName and userDisplayName"},
		{"/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=999", nil, 200, "", ""},
		{"/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=1000", nil, 400, "Request_UnsupportedQuery", "Must be between 1 and 999"},
		{"/v1.0/reports/authenticationMethods/userRegistrationDetails?$select=nope", nil, 400, "Request_BadRequest", "Could not find a property named 'nope'"},
	}
	for _, tg := range rawTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			for _, tt := range tests {
				r := tg.do(t, mock.DefaultAdminToken, "GET", tt.path, tt.headers, nil)
				if r.status != tt.status {
					t.Errorf("%s: status %d, want %d: %s", tt.path, r.status, tt.status, r.body)
					continue
				}
				if tt.status == 200 {
					continue
				}
				code, msg := r.errorOf(t)
				if code != tt.code || !strings.Contains(msg, tt.message) {
					t.Errorf("%s:\n got %s %q\nwant %s containing %q", tt.path, code, msg, tt.code, tt.message)
				}
			}
		})
	}
}

func TestRawRegistrationDetailsWire(t *testing.T) {
	for _, tg := range rawTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			q := "?$filter=startswith(userPrincipalName,'m')&$orderby=userDisplayName%20desc&$top=1&$select=userPrincipalName,methodsRegistered"
			first := tg.do(t, mock.ReportsReaderToken, "GET", "/v1.0/reports/authenticationMethods/userRegistrationDetails"+q, nil, nil).json(t)
			next, _ := first["@odata.nextLink"].(string)
			if !strings.HasPrefix(next, tg.base+"/v1.0/reports/authenticationMethods/userRegistrationDetails?") {
				t.Fatalf("nextLink %q is not absolute on this server", next)
			}
			for _, opt := range []string{"$filter=startswith%28userPrincipalName%2C%27m%27%29", "$orderby=userDisplayName%20desc", "$top=1", "$select=userPrincipalName%2CmethodsRegistered", "$skiptoken="} {
				if !strings.Contains(next, opt) {
					t.Errorf("nextLink %s lacks %s", next, opt)
				}
			}
			item := first["value"].([]any)[0].(map[string]any)
			if len(item) != 2 || item["userPrincipalName"] != "miriam.graham@contoso.example" {
				t.Errorf("first item with $select: %v", item)
			}
			req, _ := http.NewRequest("GET", next, nil)
			req.Header.Set("Authorization", "Bearer "+mock.ReportsReaderToken)
			resp, err := tg.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var second map[string]any
			json.NewDecoder(resp.Body).Decode(&second)
			resp.Body.Close()
			if u := second["value"].([]any)[0].(map[string]any)["userPrincipalName"]; u != "mfa.admin@contoso.example" {
				t.Errorf("second page: %v", u)
			}

			v1 := tg.do(t, mock.ReportsReaderToken, "GET", "/v1.0/reports/authenticationMethods/userRegistrationDetails?$top=1", nil, nil).json(t)
			beta := tg.do(t, mock.ReportsReaderToken, "GET", "/beta/reports/authenticationMethods/userRegistrationDetails?$top=1", nil, nil).json(t)
			v1item := v1["value"].([]any)[0].(map[string]any)
			betaItem := beta["value"].([]any)[0].(map[string]any)
			if _, has := v1item["defaultMfaMethod"]; has {
				t.Error("v1.0 returned the beta-only defaultMfaMethod")
			}
			if _, has := betaItem["defaultMfaMethod"]; !has {
				t.Error("beta lacks defaultMfaMethod")
			}
			for k, v := range betaItem {
				if v == "" {
					t.Errorf("%s is an empty string (the SDK's enum parsers reject it)", k)
				}
			}
			if !strings.HasSuffix(v1["@odata.context"].(string), "/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails") {
				t.Errorf("@odata.context %v", v1["@odata.context"])
			}
			n := tg.do(t, mock.ReportsReaderToken, "GET", "/v1.0/reports/authenticationMethods/userRegistrationDetails/$count?$filter=isMfaRegistered%20eq%20true", nil, nil)
			if n.status != 200 || string(n.body) != "13" || !strings.HasPrefix(n.header.Get("Content-Type"), "text/plain") {
				t.Errorf("$count: %d %q %s", n.status, n.body, n.header.Get("Content-Type"))
			}
		})
	}
}

func TestRawPolicy(t *testing.T) {
	const tapPath = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass"
	tests := []struct {
		name, body string
		status     int
		message    string
	}{
		{"default below minimum", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","defaultLifetimeInMinutes":30}`, 400, "defaultLifetimeInMinutes (30) must lie between minimumLifetimeInMinutes (60) and maximumLifetimeInMinutes (480)"},
		{"minimum above maximum", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","minimumLifetimeInMinutes":500}`, 400, "minimumLifetimeInMinutes (500) is greater than maximumLifetimeInMinutes (480)"},
		{"lifetime too short", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","minimumLifetimeInMinutes":5}`, 400, "minimumLifetimeInMinutes is 5; it must be between 10 and 43200"},
		{"lifetime too long", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","maximumLifetimeInMinutes":43201}`, 400, "maximumLifetimeInMinutes is 43201"},
		{"length too short", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","defaultLength":7}`, 400, "defaultLength is 7; it must be between 8 and 48"},
		{"length too long", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","defaultLength":49}`, 400, "defaultLength is 49"},
		{"wrong type", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","defaultLength":"eight"}`, 400, "Invalid value for 'defaultLength'"},
		{"null", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","isUsableOnce":null}`, 400, "null is not allowed"},
		{"bad state", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","state":"paused"}`, 400, "Invalid value 'paused' for state"},
		{"unknown property", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","colour":"red"}`, 400, "The property 'colour' does not exist"},
		{"targets", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","includeTargets":[]}`, 400, "'includeTargets' cannot be changed"},
		{"type mismatch", `{"@odata.type":"#microsoft.graph.fido2AuthenticationMethodConfiguration"}`, 400, "does not match the configuration 'TemporaryAccessPass'"},
		{"id mismatch", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","id":"Fido2"}`, 400, "does not match the configuration 'TemporaryAccessPass'"},
		{"not JSON", `{`, 400, "Invalid request body"},
		{"no @odata.type", `{"isUsableOnce":true}`, 400, "must include @odata.type"},
		{"valid", `{"@odata.type":"#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration","minimumLifetimeInMinutes":10,"defaultLifetimeInMinutes":1440,"maximumLifetimeInMinutes":43200,"defaultLength":12,"isUsableOnce":true}`, 204, ""},
	}
	for _, tg := range rawTargets(t) {
		t.Run(tg.name, func(t *testing.T) {
			for _, tt := range tests {
				r := tg.do(t, mock.DefaultAdminToken, "PATCH", tapPath, map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, gzipped(t, []byte(tt.body)))
				if r.status != tt.status {
					t.Errorf("%s: status %d, want %d: %s", tt.name, r.status, tt.status, r.body)
					continue
				}
				if tt.status != 204 {
					if code, msg := r.errorOf(t); code != "BadRequest" || !strings.Contains(msg, tt.message) {
						t.Errorf("%s: %s %q, want BadRequest containing %q", tt.name, code, msg, tt.message)
					}
				}
			}
			got := tg.do(t, mock.GlobalReaderToken, "GET", tapPath, nil, nil).json(t)
			if got["defaultLifetimeInMinutes"] != float64(1440) || got["defaultLength"] != float64(12) || got["isUsableOnce"] != true {
				t.Errorf("after PATCH: %v", got)
			}
			r := tg.do(t, mock.DefaultAdminToken, "PATCH", "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/sms", nil, []byte(`{"@odata.type":"#microsoft.graph.smsAuthenticationMethodConfiguration","defaultLength":9}`))
			if code, msg := r.errorOf(t); r.status != 400 || !strings.Contains(msg, "'defaultLength' does not exist on type 'microsoft.graph.smsAuthenticationMethodConfiguration'") {
				t.Errorf("a TAP property on Sms: %d %s %q", r.status, code, msg)
			}
			if r := tg.do(t, mock.DefaultAdminToken, "PATCH", "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/sms", nil, []byte(`{"@odata.type":"#microsoft.graph.smsAuthenticationMethodConfiguration","state":"disabled"}`)); r.status != 204 {
				t.Errorf("disable Sms: %d %s", r.status, r.body)
			}
			policy := tg.do(t, mock.DefaultAdminToken, "GET", "/v1.0/policies/authenticationMethodsPolicy", nil, nil).json(t)
			for _, c := range policy["authenticationMethodConfigurations"].([]any) {
				if m := c.(map[string]any); m["id"] == "Sms" && m["state"] != "disabled" {
					t.Errorf("Sms after PATCH: %v", m)
				}
			}
			if r := tg.do(t, mock.DefaultAdminToken, "GET", "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/Carrier", nil, nil); r.status != 404 {
				t.Errorf("unknown configuration: %d", r.status)
			}
			for _, tok := range []string{mock.AuthAdminToken, mock.GlobalReaderToken, mock.ReportsReaderToken} {
				r := tg.do(t, tok, "PATCH", tapPath, nil, []byte(`{"state":"disabled"}`))
				if code, _ := r.errorOf(t); r.status != 403 || code != "Authorization_RequestDenied" {
					t.Errorf("PATCH with %s: %d %s", tok, r.status, code)
				}
			}
			for tok, want := range map[string]int{mock.AuthAdminToken: 403, mock.ReportsReaderToken: 403, mock.GlobalReaderToken: 200} {
				if r := tg.do(t, tok, "GET", "/v1.0/policies/authenticationMethodsPolicy", nil, nil); r.status != want {
					t.Errorf("GET the policy with %s: %d, want %d", tok, r.status, want)
				}
			}
		})
	}
}
