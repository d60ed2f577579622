package mock

import (
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mfactl/mfactl/mock/store"
)

// Directory roles (directory.go): the roles list, one role by either key,
// and the members, against the demo tenant and synthetic ones, in-process
// and over TCP.

// globalAdminRoleID is the object id of the Global Administrator role in
// every mock tenant; it must never change (clients may have stored it).
const globalAdminRoleID = "bb5b2029-e59f-5505-9d4a-7f997e518118"

const globalAdminTemplate = "62e90394-69f5-4237-9190-012177145e10"

// demoRoleTemplates are the roles the demo tenant's users hold, sorted by
// display name, with Entra's template ids.
var demoRoleTemplates = [][2]string{
	{"Authentication Administrator", "c4e39bd9-1100-46d3-8c65-fb160da0071f"},
	{"Authentication Policy Administrator", "0526716b-113d-4c15-b2c8-68e3c22b9f80"},
	{"Global Administrator", globalAdminTemplate},
	{"Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"},
	{"Helpdesk Administrator", "729827e3-9c14-49f7-bb1b-9608f156bbb8"},
	{"Privileged Authentication Administrator", "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"},
	{"Reports Reader", "4a5d8f65-41da-4de4-8968-e035b65339cf"},
	{"User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"},
}

// forBothClients runs fn against a fresh server of opts in-process and over
// TCP.
func forBothClients(t *testing.T, opts Options, fn func(t *testing.T, s *Server, c rawClient)) {
	t.Helper()
	for _, kind := range []string{"in-process", "tcp"} {
		t.Run(kind, func(t *testing.T) {
			s := newServer(t, opts)
			c := inProcessClient(t, s)
			if kind == "tcp" {
				c = tcpClient(t, s)
			}
			fn(t, s, c)
		})
	}
}

// expectStatus fails unless r has the status (and, for errors, the code).
func expectStatus(t *testing.T, what string, r rawResponse, status int, code string) {
	t.Helper()
	if r.status != status || r.errorCode() != code {
		t.Errorf("%s: %d %q, want %d %q: %s", what, r.status, r.errorCode(), status, code, r.raw)
	}
	if code != "" {
		e, _ := r.body["error"].(map[string]any)
		inner, _ := e["innerError"].(map[string]any)
		if msg, _ := e["message"].(string); msg == "" || inner["request-id"] == nil {
			t.Errorf("%s: error body without a message or innerError: %s", what, r.raw)
		}
	}
}

func values(t *testing.T, r rawResponse) []map[string]any {
	t.Helper()
	list, ok := r.body["value"].([]any)
	if !ok {
		t.Fatalf("no value array: %d %s", r.status, r.raw)
	}
	out := make([]map[string]any, len(list))
	for i, v := range list {
		out[i] = v.(map[string]any)
	}
	return out
}

// listMembers follows the nextLinks of a members listing and returns every
// item and the number of pages.
func listMembers(t *testing.T, c rawClient, path string) ([]map[string]any, int) {
	t.Helper()
	var out []map[string]any
	pages := 0
	for path != "" {
		r := c.do("GET", path, DefaultAdminToken, "")
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
		}
		pages++
		out = append(out, values(t, r)...)
		next, _ := r.body["@odata.nextLink"].(string)
		if next == "" {
			break
		}
		if !strings.HasPrefix(next, c.base+"/") || !strings.Contains(next, "$skiptoken=") {
			t.Fatalf("nextLink %q is not absolute on %s with a $skiptoken", next, c.base)
		}
		path = strings.TrimPrefix(next, c.base)
		if pages > 10_000 {
			t.Fatal("the nextLinks never end")
		}
	}
	return out, pages
}

// roleHolders is the ground truth: template id -> ids of the users whose
// Roles name it.
func roleHolders(t *testing.T, st store.Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := st.View(func(tx store.Tx) error {
		return store.ScanJSON(tx, bucketUsers, "", "", func(_ string, u userRecord) (bool, error) {
			for _, name := range u.Roles {
				tid := roleTemplateID(name)
				if !slices.Contains(out[tid], u.ID) {
					out[tid] = append(out[tid], u.ID)
				}
			}
			return true, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ids := range out {
		slices.Sort(ids)
	}
	return out
}

// checkMembers lists every activated role's members with $top and compares
// them with the users' Roles: each role exactly its holders, in id order,
// and every holder of any role listed.
func checkMembers(t *testing.T, s *Server, c rawClient, top int) {
	t.Helper()
	truth := roleHolders(t, s.Store())
	r := c.do("GET", "/v1.0/directoryRoles", DefaultAdminToken, "")
	roles := values(t, r)
	if len(roles) != len(truth) {
		t.Errorf("%d roles listed, %d held", len(roles), len(truth))
	}
	listed, admins := map[string]bool{}, map[string]bool{}
	for _, ids := range truth {
		for _, id := range ids {
			admins[id] = true
		}
	}
	paged := false
	for _, role := range roles {
		tid := role["roleTemplateId"].(string)
		members, pages := listMembers(t, c, fmt.Sprintf("/v1.0/directoryRoles/%s/members?$top=%d&$select=id", role["id"], top))
		want := truth[tid]
		if pages != max(1, (len(want)+top-1)/top) {
			t.Errorf("%s: %d members in %d pages of %d", role["displayName"], len(want), pages, top)
		}
		paged = paged || pages > 1
		var got []string
		for _, m := range members {
			if m["@odata.type"] != "#microsoft.graph.user" || len(m) != 2 {
				t.Errorf("%s: member %v is not a user with only @odata.type and id", role["displayName"], m)
			}
			got = append(got, m["id"].(string))
			listed[m["id"].(string)] = true
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: members %v, want %v", role["displayName"], got, want)
		}
	}
	if !paged {
		t.Errorf("no role needed more than one page of %d", top)
	}
	if !maps.Equal(listed, admins) {
		t.Errorf("%d users listed as members, %d hold roles", len(listed), len(admins))
	}
}

func TestDirectoryRolesListDemo(t *testing.T) {
	forBothClients(t, Options{}, func(t *testing.T, s *Server, c rawClient) {
		for _, version := range []string{"v1.0", "beta"} {
			r := c.do("GET", "/"+version+"/directoryRoles", DefaultAdminToken, "")
			if r.status != 200 {
				t.Fatalf("%s: %d %s", version, r.status, r.raw)
			}
			if got, want := r.body["@odata.context"], c.base+"/"+version+"/$metadata#directoryRoles"; got != want {
				t.Errorf("@odata.context %v, want %s", got, want)
			}
			roles := values(t, r)
			if len(roles) != len(demoRoleTemplates) {
				t.Fatalf("%d roles: %s", len(roles), r.raw)
			}
			for i, role := range roles {
				name, tid := demoRoleTemplates[i][0], demoRoleTemplates[i][1]
				if role["displayName"] != name || role["roleTemplateId"] != tid || role["id"] != directoryRoleID(tid) {
					t.Errorf("role %d: %v, want %s (%s)", i, role, name, tid)
				}
				if d, _ := role["description"].(string); d == "" {
					t.Errorf("%s has no description", name)
				}
				if v, present := role["deletedDateTime"]; !present || v != nil {
					t.Errorf("%s: deletedDateTime %v (present %v), want null", name, v, present)
				}
				if len(role) != 5 {
					t.Errorf("%s has properties %v", name, slices.Sorted(maps.Keys(role)))
				}
			}
			if roles[2]["id"] != globalAdminRoleID {
				t.Errorf("Global Administrator id %v, want %s", roles[2]["id"], globalAdminRoleID)
			}
		}

		// $select and $filter.
		r := c.do("GET", "/v1.0/directoryRoles?$select=displayName,ROLETEMPLATEID", DefaultAdminToken, "")
		for _, role := range values(t, r) {
			if len(role) != 2 || role["displayName"] == nil || role["roleTemplateId"] == nil {
				t.Errorf("$select: %v", role)
			}
		}
		filter := func(f string) rawResponse {
			return c.do("GET", "/v1.0/directoryRoles?$filter="+url.QueryEscape(f), DefaultAdminToken, "")
		}
		if roles := values(t, filter("roleTemplateId eq '"+globalAdminTemplate+"'")); len(roles) != 1 || roles[0]["id"] != globalAdminRoleID {
			t.Errorf("filter by template: %v", roles)
		}
		if roles := values(t, filter("roleTemplateId eq '"+strings.ToUpper(globalAdminTemplate)+"'")); len(roles) != 1 {
			t.Errorf("filter by an upper-case template id: %v", roles)
		}
		// A role nobody holds is not activated.
		if roles := values(t, filter("roleTemplateId eq '194ae4cb-b126-40b2-bd5b-6091b380977d'")); len(roles) != 0 {
			t.Errorf("Security Administrator is listed: %v", roles)
		}
		if roles := values(t, filter("displayName eq 'global reader'")); len(roles) != 1 || roles[0]["roleTemplateId"] != "f2ef992c-3afb-46b9-b7cf-a126ee74c451" {
			t.Errorf("filter by name: %v", roles)
		}
		expectStatus(t, "filter on description", filter("description eq 'x'"), 400, codeUnsupportedQuery)
		expectStatus(t, "startsWith", filter("startswith(displayName,'Global')"), 400, codeUnsupportedQuery)
		expectStatus(t, "ne", filter("roleTemplateId ne '"+globalAdminTemplate+"'"), 400, codeUnsupportedQuery)
		expectStatus(t, "unknown property", filter("colour eq 'x'"), 400, codeBadBody)
		expectStatus(t, "unquoted GUID", filter("roleTemplateId eq "+globalAdminTemplate), 400, codeBadBody)
		expectStatus(t, "unknown $select", c.do("GET", "/v1.0/directoryRoles?$select=colour", DefaultAdminToken, ""), 400, codeBadRequest)
		expectStatus(t, "$top", c.do("GET", "/v1.0/directoryRoles?$top=2", DefaultAdminToken, ""), 400, codeBadRequest)

		// Any signed-in principal reads roles; nobody else.
		for _, tok := range []string{AuthAdminToken, GlobalReaderToken, ReportsReaderToken} {
			if r := c.do("GET", "/v1.0/directoryRoles", tok, ""); r.status != 200 || len(values(t, r)) != len(demoRoleTemplates) {
				t.Errorf("%s: %d %s", tok, r.status, r.raw)
			}
		}
		expectStatus(t, "no token", c.do("GET", "/v1.0/directoryRoles", "", ""), 401, codeInvalidToken)
		expectStatus(t, "bad token", c.do("GET", "/v1.0/directoryRoles/"+globalAdminRoleID+"/members", "nope", ""), 401, codeInvalidToken)
		expectStatus(t, "POST", c.do("POST", "/v1.0/directoryRoles", DefaultAdminToken, `{"roleTemplateId":"`+globalAdminTemplate+`"}`), 405, codeBadRequest)

		// Inside a $batch.
		r = c.do("POST", "/v1.0/$batch", DefaultAdminToken, `{"requests":[{"id":"1","method":"GET","url":"/directoryRoles?$select=id"},{"id":"2","method":"GET","url":"/directoryRoles/`+globalAdminRoleID+`/members?$select=userPrincipalName"}]}`)
		if r.status != 200 || !strings.Contains(r.raw, globalAdminRoleID) || !strings.Contains(r.raw, "megan.bowen@contoso.example") {
			t.Errorf("batch: %d %s", r.status, r.raw)
		}
	})
}

func TestDirectoryRoleGetByIDAndTemplate(t *testing.T) {
	forBothClients(t, Options{}, func(t *testing.T, s *Server, c rawClient) {
		paths := []string{
			"/v1.0/directoryRoles/" + globalAdminRoleID,
			"/v1.0/directoryRoles/" + strings.ToUpper(globalAdminRoleID),
			"/beta/directoryRoles/roleTemplateId=" + globalAdminTemplate,
			"/v1.0/directoryRoles/roleTemplateId='" + globalAdminTemplate + "'",
			"/v1.0/directoryRoles/roleTemplateId%3D" + globalAdminTemplate,
			// The parenthesised alternate key the SDK sends.
			"/v1.0/directoryRoles(roleTemplateId='" + globalAdminTemplate + "')",
			"/beta/directoryRoles(roleTemplateId=%27" + globalAdminTemplate + "%27)",
		}
		for _, p := range paths {
			r := c.do("GET", p, GlobalReaderToken, "")
			if r.status != 200 {
				t.Errorf("%s: %d %s", p, r.status, r.raw)
				continue
			}
			version := strings.Split(p, "/")[1]
			if r.body["@odata.context"] != c.base+"/"+version+"/$metadata#directoryRoles/$entity" || r.body["id"] != globalAdminRoleID ||
				r.body["displayName"] != RoleGlobalAdmin || r.body["roleTemplateId"] != globalAdminTemplate {
				t.Errorf("%s: %s", p, r.raw)
			}
		}
		r := c.do("GET", "/v1.0/directoryRoles/"+globalAdminRoleID+"?$select=displayName", DefaultAdminToken, "")
		if r.status != 200 || len(r.body) != 2 || r.body["displayName"] != RoleGlobalAdmin {
			t.Errorf("$select: %s", r.raw)
		}
		notFound := []string{
			"/v1.0/directoryRoles/00000000-0000-0000-0000-000000000000",
			"/v1.0/directoryRoles/" + globalAdminTemplate,                              // a template id is not an object id
			"/v1.0/directoryRoles/roleTemplateId=194ae4cb-b126-40b2-bd5b-6091b380977d", // nobody holds it
			"/v1.0/directoryRoles/" + directoryRoleID("194ae4cb-b126-40b2-bd5b-6091b380977d"),
			"/v1.0/directoryRoles/00000000-0000-0000-0000-000000000000/members",
			"/v1.0/directoryRoles/roleTemplateId=00000000-0000-0000-0000-000000000000/members/microsoft.graph.user",
		}
		for _, p := range notFound {
			r := c.do("GET", p, DefaultAdminToken, "")
			expectStatus(t, p, r, 404, codeNotFound)
			if msg := r.body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "does not exist") {
				t.Errorf("%s: message %q", p, msg)
			}
		}
		for _, p := range []string{"/v1.0/directoryRoles/global-admin", "/v1.0/directoryRoles/roleTemplateId=global/members"} {
			expectStatus(t, p, c.do("GET", p, DefaultAdminToken, ""), 400, codeBadRequest)
		}
	})
}

func TestDirectoryRoleMembersDemo(t *testing.T) {
	forBothClients(t, Options{}, func(t *testing.T, s *Server, c rawClient) {
		checkMembers(t, s, c, 1)

		// The default shape: directoryObjects typed as users, with the
		// user's default properties.
		r := c.do("GET", "/v1.0/directoryRoles/roleTemplateId=fe930be7-5e62-47db-91af-98c3a49a38b1/members", DefaultAdminToken, "")
		if r.status != 200 || r.body["@odata.context"] != c.base+"/v1.0/$metadata#directoryObjects" || r.body["@odata.nextLink"] != nil {
			t.Fatalf("members: %s", r.raw)
		}
		var upns []string
		for _, m := range values(t, r) {
			upns = append(upns, m["userPrincipalName"].(string))
			if m["@odata.type"] != "#microsoft.graph.user" || len(m) != len(userDefaultProperties)+1 || m["accountEnabled"] != nil {
				t.Errorf("member %v", m)
			}
		}
		slices.Sort(upns)
		if !slices.Equal(upns, []string{"lee.gu@contoso.example", "mfa.admin@contoso.example"}) {
			t.Errorf("User Administrators: %v", upns)
		}

		// The OData cast: the same users, as users.
		r = c.do("GET", "/beta/directoryRoles/"+globalAdminRoleID+"/members/microsoft.graph.user?$select=userPrincipalName,accountEnabled", DefaultAdminToken, "")
		ms := values(t, r)
		if r.body["@odata.context"] != c.base+"/beta/$metadata#users" || len(ms) != 1 || ms[0]["userPrincipalName"] != "megan.bowen@contoso.example" ||
			ms[0]["accountEnabled"] != true || len(ms[0]) != 2 {
			t.Errorf("cast: %s", r.raw)
		}
		r = c.do("GET", "/v1.0/directoryRoles/"+globalAdminRoleID+"/members/microsoft.graph.servicePrincipal", DefaultAdminToken, "")
		if r.status != 200 || len(values(t, r)) != 0 || r.body["@odata.context"] != c.base+"/v1.0/$metadata#servicePrincipals" {
			t.Errorf("servicePrincipal cast: %s", r.raw)
		}
		expectStatus(t, "unknown cast", c.do("GET", "/v1.0/directoryRoles/"+globalAdminRoleID+"/members/microsoft.graph.colour", DefaultAdminToken, ""), 400, codeBadBody)

		base := "/v1.0/directoryRoles/" + globalAdminRoleID + "/members"
		for _, q := range []string{"$top=0", "$top=1000", "$top=x"} {
			expectStatus(t, q, c.do("GET", base+"?"+q, DefaultAdminToken, ""), 400, codeUnsupportedQuery)
		}
		expectStatus(t, "$skip", c.do("GET", base+"?$skip=1", DefaultAdminToken, ""), 400, codeBadRequest)
		expectStatus(t, "$filter", c.do("GET", base+"?$filter=accountEnabled%20eq%20true", DefaultAdminToken, ""), 400, codeUnsupportedQuery)
		expectStatus(t, "$skiptoken", c.do("GET", base+"?$skiptoken=***", DefaultAdminToken, ""), 400, codeBadRequest)
		expectStatus(t, "$select", c.do("GET", base+"?$select=colour", DefaultAdminToken, ""), 400, codeBadRequest)
		if r := c.do("GET", base+"?$top=999&$select=id", ReportsReaderToken, ""); r.status != 200 || len(values(t, r)) != 1 {
			t.Errorf("reports reader, $top=999: %d %s", r.status, r.raw)
		}
	})
}

func TestDirectoryRolesSyntheticTenant(t *testing.T) {
	st, stats := seedMemory(t, SynthOptions{Users: 3000, Seed: 7, Day: testDay})
	holders := roleHolders(t, st)
	if len(holders) < 8 || stats.Admins < 50 {
		t.Fatalf("the synthetic tenant has %d admins in %d roles", stats.Admins, len(holders))
	}
	forBothClients(t, Options{Store: st, NoSeed: true}, func(t *testing.T, s *Server, c rawClient) {
		checkMembers(t, s, c, 2)
		// Role ids do not depend on the tenant.
		r := c.do("GET", "/v1.0/directoryRoles?$filter=roleTemplateId%20eq%20'"+globalAdminTemplate+"'", DefaultAdminToken, "")
		if roles := values(t, r); len(roles) != 1 || roles[0]["id"] != globalAdminRoleID {
			t.Errorf("Global Administrator: %s", r.raw)
		}
		// Paging is keyset paging: a nextLink keeps working after the
		// users before it changed.
		first := c.do("GET", "/v1.0/directoryRoles/"+globalAdminRoleID+"/members?$top=2&$select=id", DefaultAdminToken, "")
		next := strings.TrimPrefix(first.body["@odata.nextLink"].(string), c.base)
		ids := values(t, first)
		admins := len(roleHolders(t, st)[globalAdminTemplate])
		changeUser(t, st, ids[0]["id"].(string), func(u *userRecord) { u.Roles = nil })
		rest, _ := listMembers(t, c, next)
		if len(rest) != admins-2 || rest[0]["id"].(string) <= ids[1]["id"].(string) {
			t.Errorf("after the first page: %d members from %v", len(rest), rest[0]["id"])
		}
	})
}

// No endpoint changes a user's roles (they are set when a tenant is
// seeded), so the index is checked after writes through putUser directly,
// and after an endpoint's write that leaves the roles alone.
func TestDirectoryRoleIndexFollowsUserWrites(t *testing.T) {
	s := newServer(t, Options{})
	c := inProcessClient(t, s)
	st := s.Store()
	setRoles := func(upn string, roles ...string) {
		t.Helper()
		changeUser(t, st, upn, func(u *userRecord) { u.Roles = roles })
	}
	setRoles("megan.bowen@" + DemoDomain)                                                   // the only Global Administrator
	setRoles("lee.gu@"+DemoDomain, RoleHelpdeskAdmin, RoleSecurityAdmin, RoleSecurityAdmin) // was User Administrator
	setRoles("alex.wilber@"+DemoDomain, RoleSecurityReader, "Tenant Creator")               // a role the mock has no template for
	// Revoking sessions rewrites the user without touching the roles.
	if r := c.do("POST", "/v1.0/users/mfa.admin@"+DemoDomain+"/revokeSignInSessions", DefaultAdminToken, ""); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	expectStatus(t, "Global Administrator", c.do("GET", "/v1.0/directoryRoles/"+globalAdminRoleID, DefaultAdminToken, ""), 404, codeNotFound)
	var names []string
	for _, role := range values(t, c.do("GET", "/v1.0/directoryRoles", DefaultAdminToken, "")) {
		names = append(names, role["displayName"].(string))
	}
	want := []string{RoleAuthAdmin, RoleAuthPolicyAdmin, RoleGlobalReader, RoleHelpdeskAdmin, RolePrivilegedAuthAdmin, RoleReportsReader,
		RoleSecurityAdmin, RoleSecurityReader, "Tenant Creator", RoleUserAdmin}
	if !slices.Equal(names, want) {
		t.Errorf("roles %v, want %v", names, want)
	}
	custom := directoryRoleID(roleTemplateID("Tenant Creator"))
	r := c.do("GET", "/v1.0/directoryRoles/"+custom, DefaultAdminToken, "")
	if r.status != 200 || r.body["displayName"] != "Tenant Creator" || r.body["description"] != nil {
		t.Errorf("a role without a template: %s", r.raw)
	}
	checkMembers(t, s, c, 1)

	// What putUser left is what a rebuild gives.
	before := dumpBucket(t, st, bucketRoleMembers)
	if err := st.Update(func(tx store.Tx) error { return tx.DropBucket(bucketRoleMembers) }); err != nil {
		t.Fatal(err)
	}
	if err := ensureRoleIndex(st); err != nil {
		t.Fatal(err)
	}
	if after := dumpBucket(t, st, bucketRoleMembers); !maps.Equal(before, after) {
		t.Errorf("putUser left %v, a rebuild gives %v", before, after)
	}
}

func dumpBucket(t *testing.T, st store.Store, bucket string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := st.View(func(tx store.Tx) error {
		return tx.Scan(bucket, "", "", func(k string, v []byte) bool {
			out[k] = string(v)
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// A state written before the index existed gets it at the next start; an
// up-to-date one is left alone.
func TestDirectoryRoleIndexRebuiltForOldState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	bs, err := store.OpenBolt(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SeedSynthetic(bs, SynthOptions{Users: 500, Seed: 3, Day: testDay}); err != nil {
		t.Fatal(err)
	}
	seeded := dumpBucket(t, bs, bucketRoleMembers)
	if _, ok := seeded[roleIndexSentinel]; !ok || len(seeded) < 10 {
		t.Fatalf("the seeded index has %d keys, sentinel %v", len(seeded), ok)
	}
	if err := bs.Update(func(tx store.Tx) error { return tx.DropBucket(bucketRoleMembers) }); err != nil {
		t.Fatal(err)
	}
	bs.Close()

	s := newServer(t, Options{StatePath: path})
	if got := dumpBucket(t, s.Store(), bucketRoleMembers); !maps.Equal(got, seeded) {
		t.Errorf("rebuilt index has %d keys, the seeded one %d", len(got), len(seeded))
	}
	checkMembers(t, s, inProcessClient(t, s), 2)

	// Up to date: ensureRoleIndex reads the sentinel and stops (a stray
	// entry survives, which a rebuild would drop).
	stray := roleMemberKey(globalAdminTemplate, "ffffffff-ffff-ffff-ffff-ffffffffffff")
	if err := s.Store().Update(func(tx store.Tx) error { return tx.Put(bucketRoleMembers, stray, []byte(RoleGlobalAdmin)) }); err != nil {
		t.Fatal(err)
	}
	if err := ensureRoleIndex(s.Store()); err != nil {
		t.Fatal(err)
	}
	if _, ok := dumpBucket(t, s.Store(), bucketRoleMembers)[stray]; !ok {
		t.Error("an up-to-date index was rebuilt")
	}
	// An index of another layout (no sentinel of this one) is rebuilt.
	if err := s.Store().Update(func(tx store.Tx) error { return tx.Delete(bucketRoleMembers, roleIndexSentinel) }); err != nil {
		t.Fatal(err)
	}
	if err := ensureRoleIndex(s.Store()); err != nil {
		t.Fatal(err)
	}
	if got := dumpBucket(t, s.Store(), bucketRoleMembers); !maps.Equal(got, seeded) {
		t.Errorf("an index without the sentinel was not rebuilt: %d keys", len(got))
	}
}

// BenchmarkDirectoryRoleMembers100k serves role members from a 100,000-user
// synthetic tenant in bbolt: the first page of the Global Administrators
// ($top=100), every page of the largest role ($top=999 with $select=id, as
// the coverage report asks), the roles list, and the one-time rebuild of
// the index for an old state (a scan of every user, so give it fewer
// iterations). Run with:
//
//	go test ./mock/ -run '^$' -bench 'DirectoryRoleMembers100k/(first|all|list)' -benchtime 200x
//	go test ./mock/ -run '^$' -bench 'DirectoryRoleMembers100k/rebuild' -benchtime 5x
func BenchmarkDirectoryRoleMembers100k(b *testing.B) {
	bs, err := store.OpenBolt(filepath.Join(b.TempDir(), "state.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer bs.Close()
	if _, err := SeedSynthetic(bs, SynthOptions{Users: 100_000, Seed: 42, Day: testDay}); err != nil {
		b.Fatal(err)
	}
	srv, err := NewServer(Options{Store: bs, NoSeed: true})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c := testClient{t: b, srv: srv, token: DefaultAdminToken}
	var roles struct {
		Value []map[string]any `json:"value"`
	}
	c.getJSON("/v1.0/directoryRoles", &roles)
	largest, size := "", 0
	err = bs.View(func(tx store.Tx) error {
		for _, role := range roles.Value {
			n := 0
			tx.Scan(bucketRoleMembers, role["roleTemplateId"].(string)+"/", "", func(string, []byte) bool { n++; return true })
			if n > size {
				largest, size = role["id"].(string), n
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d roles, the largest with %d members", len(roles.Value), size)
	get := func(b *testing.B, path string) []byte {
		status, body := c.call("GET", path, nil)
		if status != 200 {
			b.Fatalf("%s: %d %s", path, status, body)
		}
		return body
	}
	b.Run("first-page-top100", func(b *testing.B) {
		for b.Loop() {
			get(b, "/v1.0/directoryRoles/"+globalAdminRoleID+"/members")
		}
	})
	b.Run("all-pages-top999-select-id", func(b *testing.B) {
		first := "/v1.0/directoryRoles/" + largest + "/members?$top=999&$select=id"
		path, served := first, 0
		for b.Loop() {
			body := get(b, path)
			served += strings.Count(string(body), `"id":`)
			if path = nextPath(body); path == "" {
				path = first
			}
		}
		b.ReportMetric(float64(served)/b.Elapsed().Seconds(), "members/s")
	})
	b.Run("list-roles", func(b *testing.B) {
		for b.Loop() {
			get(b, "/v1.0/directoryRoles")
		}
	})
	b.Run("rebuild-index", func(b *testing.B) {
		for b.Loop() {
			if err := bs.Update(func(tx store.Tx) error { return tx.DropBucket(bucketRoleMembers) }); err != nil {
				b.Fatal(err)
			}
			if err := ensureRoleIndex(bs); err != nil {
				b.Fatal(err)
			}
		}
	})
}
