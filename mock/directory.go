package mock

import (
	"net/http"
	"slices"
	"strings"

	"github.com/mfactl/mfactl/mock/odata"
	"github.com/mfactl/mfactl/mock/store"
)

// Directory roles: GET /directoryRoles, /directoryRoles/{id} and
// /directoryRoles/{id}/members, on v1.0 and beta.
//
// The mock keeps a user's roles as display names (userRecord.Roles). A role
// is "activated" (listed by /directoryRoles) while at least one user holds
// it. Its roleTemplateId is Entra's built-in template id; its object id is
// a name-based UUID of the template id, so it is the same in every tenant,
// run and seed.
//
// Members are served from the roleMembers index (template id + "/" + user
// id -> role display name), which putUser keeps in step through
// updateUserIndexes, so a page of members costs O(page) on any tenant: the
// walk is the index range of one role, in user-id order, and the
// $skiptoken is the last user id. Listing the activated roles skips from
// one role's range to the next (one seek per role). The index holds a
// sentinel key (roleIndexSentinel) that says it is complete and in the
// current layout; ensureUserIndexes rebuilds the index when it is missing
// (a state written before the index existed), at the cost of one Get when
// it is there.

// bucketRoleMembers indexes role holders.
const bucketRoleMembers = "roleMembers" // role template id + "/" + user id -> role display name

// roleIndexSentinel marks a complete roleMembers index of the current
// layout. It sorts before every template id, so no role's range holds it;
// a new layout changes its name, which makes old states rebuild.
const roleIndexSentinel = "\x00layout-v1"

// Page sizes of directory role members: Graph's default is 100 and $top
// may go to 999.
const (
	roleMembersDefaultPage = 100
	roleMembersMaxPage     = 999
)

// roleTemplate is a built-in directory role of Entra.
type roleTemplate struct {
	name, templateID, description string
}

// roleTemplates are the built-in roles the mock knows: the ones its tokens,
// seeders and rules use, with Entra's template ids and descriptions
// (Microsoft Entra built-in roles, "All roles").
var roleTemplates = []roleTemplate{
	{RoleAuthAdmin, "c4e39bd9-1100-46d3-8c65-fb160da0071f", "Can access to view, set and reset authentication method information for any non-admin user."},
	{RoleAuthPolicyAdmin, "0526716b-113d-4c15-b2c8-68e3c22b9f80", "Can create and manage the authentication methods policy, tenant-wide MFA settings, password protection policy, and verifiable credentials."},
	{"Billing Administrator", "b0f54661-2d74-4c50-afa3-1ec803f12efe", "Can perform common billing related tasks like updating payment information."},
	{"Conditional Access Administrator", "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", "Can manage Conditional Access capabilities."},
	{"Directory Readers", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Can read basic directory information. Commonly used to grant directory read access to applications and guests."},
	{"Exchange Administrator", "29232cdf-9323-42fd-ade2-1d097af3e4de", "Can manage all aspects of the Exchange product."},
	{RoleGlobalAdmin, "62e90394-69f5-4237-9190-012177145e10", "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities."},
	{RoleGlobalReader, "f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Can read everything that a Global Administrator can, but not update anything."},
	{"Guest Inviter", "95e79109-95c0-4d8e-aee3-d01accf2d47b", "Can invite guest users independent of the 'members can invite guests' setting."},
	{RoleHelpdeskAdmin, "729827e3-9c14-49f7-bb1b-9608f156bbb8", "Can reset passwords for non-administrators and Helpdesk Administrators."},
	{"Message Center Reader", "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b", "Can read messages and updates for their organization in Office 365 Message Center only."},
	{"Password Administrator", "966707d0-3269-4727-9be2-8c3a10f19b9d", "Can reset passwords for non-administrators and Password Administrators."},
	{RolePrivilegedAuthAdmin, "7be44c8a-adaf-4e2a-84d6-ab2649e08a13", "Can access to view, set and reset authentication method information for any user (admin or non-admin)."},
	{"Privileged Role Administrator", "e8611ab8-c189-46e8-94e1-60213ab1f814", "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management."},
	{RoleReportsReader, "4a5d8f65-41da-4de4-8968-e035b65339cf", "Can read sign-in and audit reports."},
	{RoleSecurityAdmin, "194ae4cb-b126-40b2-bd5b-6091b380977d", "Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365."},
	{RoleSecurityReader, "5d6b6bb7-de71-4623-b4af-96380a352509", "Can read security information and reports in Microsoft Entra ID and Office 365."},
	{"SharePoint Administrator", "f28a1f50-f6e7-4571-818b-6a12f2af6b6c", "Can manage all aspects of the SharePoint service."},
	{"Usage Summary Reports Reader", "75934031-6c7e-415a-99d7-48dbd49e875e", "Read Usage reports and Adoption Score, but can't access user details."},
	{RoleUserAdmin, "fe930be7-5e62-47db-91af-98c3a49a38b1", "Can manage all aspects of users and groups, including resetting passwords for limited admins."},
}

// templateByName and templateByID index roleTemplates.
var templateByName, templateByID = func() (map[string]*roleTemplate, map[string]*roleTemplate) {
	byName, byID := map[string]*roleTemplate{}, map[string]*roleTemplate{}
	for i := range roleTemplates {
		t := &roleTemplates[i]
		byName[strings.ToLower(t.name)] = t
		byID[t.templateID] = t
	}
	return byName, byID
}()

// roleTemplateID is the template id of a role display name: Entra's for a
// built-in role, a name-based UUID for a name the mock does not know.
func roleTemplateID(name string) string {
	if t, ok := templateByName[strings.ToLower(name)]; ok {
		return t.templateID
	}
	return stableID("directory-role-template", name)
}

// directoryRoleID is the object id of the activated role of a template.
func directoryRoleID(templateID string) string { return stableID("directory-role", templateID) }

// directoryRole is an activated role as Graph renders it.
type directoryRole struct {
	id, templateID, displayName, description string
}

func roleOf(templateID, name string) directoryRole {
	r := directoryRole{id: directoryRoleID(templateID), templateID: templateID, displayName: name}
	if t, ok := templateByID[templateID]; ok {
		r.displayName, r.description = t.name, t.description
	}
	return r
}

// directoryRoleProperties are the properties of a directoryRole.
var directoryRoleProperties = map[string]func(r *directoryRole) any{
	"id":              func(r *directoryRole) any { return r.id },
	"deletedDateTime": func(r *directoryRole) any { return nil },
	"description":     func(r *directoryRole) any { return nullable(r.description) },
	"displayName":     func(r *directoryRole) any { return r.displayName },
	"roleTemplateId":  func(r *directoryRole) any { return r.templateID },
}

func lookupRoleProperty(name string) (string, bool) {
	for k := range directoryRoleProperties {
		if strings.EqualFold(k, name) {
			return k, true
		}
	}
	return "", false
}

func renderRole(r *directoryRole, sel []string) map[string]any {
	if len(sel) == 0 {
		sel = []string{"id", "deletedDateTime", "description", "displayName", "roleTemplateId"}
	}
	out := make(map[string]any, len(sel))
	for _, p := range sel {
		out[p] = directoryRoleProperties[p](r)
	}
	return out
}

// --- the index ---

// roleEntry is one role of a user in the index.
type roleEntry struct{ templateID, name string }

// userRoleEntries are u's roles by template id, sorted and without
// duplicates (nil for a nil user).
func userRoleEntries(u *userRecord) []roleEntry {
	if u == nil || len(u.Roles) == 0 {
		return nil
	}
	out := make([]roleEntry, 0, len(u.Roles))
	for _, name := range u.Roles {
		out = append(out, roleEntry{roleTemplateID(name), name})
	}
	slices.SortFunc(out, func(a, b roleEntry) int { return strings.Compare(a.templateID, b.templateID) })
	return slices.CompactFunc(out, func(a, b roleEntry) bool { return a.templateID == b.templateID })
}

func roleMemberKey(templateID, userID string) string { return templateID + "/" + userID }

// updateRoleIndex replaces old's role entries (old may be nil) with u's:
// nothing is written when the roles did not change.
func updateRoleIndex(tx store.Tx, old, u *userRecord) error {
	was, is := userRoleEntries(old), userRoleEntries(u)
	has := func(list []roleEntry, e roleEntry) bool {
		_, found := slices.BinarySearchFunc(list, e.templateID, func(x roleEntry, id string) int { return strings.Compare(x.templateID, id) })
		return found
	}
	for _, e := range was {
		if !has(is, e) {
			if err := tx.Delete(bucketRoleMembers, roleMemberKey(e.templateID, old.ID)); err != nil {
				return err
			}
		}
	}
	wrote := false
	for _, e := range is {
		if !has(was, e) {
			if err := tx.Put(bucketRoleMembers, roleMemberKey(e.templateID, u.ID), []byte(e.name)); err != nil {
				return err
			}
			wrote = true
		}
	}
	if wrote {
		return tx.Put(bucketRoleMembers, roleIndexSentinel, []byte(indexComplete))
	}
	return nil
}

// ensureRoleIndex rebuilds the roleMembers index of a state written before
// it existed (or in another layout).
func ensureRoleIndex(s store.Store) error {
	return ensureUserIndex(s, bucketRoleMembers, roleIndexSentinel, func(tx store.Tx, u *userRecord) error {
		for _, e := range userRoleEntries(u) {
			if err := tx.Put(bucketRoleMembers, roleMemberKey(e.templateID, u.ID), []byte(e.name)); err != nil {
				return err
			}
		}
		return nil
	})
}

// activatedRoles lists the roles held by at least one user, sorted by
// display name, skipping from one role's range of the index to the next.
func activatedRoles(tx store.Tx) ([]directoryRole, error) {
	var out []directoryRole
	from := ""
	for {
		var key, name string
		err := tx.Scan(bucketRoleMembers, "", from, func(k string, v []byte) bool {
			if k == roleIndexSentinel {
				return true
			}
			key, name = k, string(v)
			return false
		})
		if err != nil {
			return nil, err
		}
		if key == "" {
			break
		}
		templateID, _, _ := strings.Cut(key, "/")
		out = append(out, roleOf(templateID, name))
		from = templateID + "0" // '0' follows '/': the next role's range
	}
	slices.SortFunc(out, func(a, b directoryRole) int {
		if c := strings.Compare(strings.ToLower(a.displayName), strings.ToLower(b.displayName)); c != 0 {
			return c
		}
		return strings.Compare(a.templateID, b.templateID)
	})
	return out, nil
}

// activatedRole returns the role of a template if someone holds it.
func activatedRole(tx store.Tx, templateID string) (*directoryRole, bool, error) {
	var name string
	found := false
	err := tx.Scan(bucketRoleMembers, templateID+"/", "", func(_ string, v []byte) bool {
		name, found = string(v), true
		return false
	})
	if err != nil || !found {
		return nil, false, err
	}
	r := roleOf(templateID, name)
	return &r, true, nil
}

// --- the endpoints ---

func (s *Server) directoryRoutes(rt *router) {
	rt.add("GET", "/directoryRoles", s.listDirectoryRoles)
	rt.add("GET", "/directoryRoles/{role}", s.getDirectoryRole)
	rt.add("GET", "/directoryRoles/{role}/members", s.listRoleMembers)
	rt.add("GET", "/directoryRoles/{role}/members/{cast}", s.listRoleMembers)
}

// directoryRolesFilterSchema is what $filter supports on /directoryRoles:
// eq on roleTemplateId (how clients find a role by template) and on
// displayName.
var directoryRolesFilterSchema = &odata.Schema{Resource: "DirectoryRole", TypeName: "microsoft.graph.directoryRole", Props: []odata.Property{
	{Name: "roleTemplateId", Type: odata.TypeString, Ops: []string{"eq"}},
	{Name: "displayName", Type: odata.TypeString, Ops: []string{"eq"}},
	{Name: "id", Type: odata.TypeID},
	{Name: "description", Type: odata.TypeString},
	{Name: "deletedDateTime", Type: odata.TypeDateTime},
}}

func (s *Server) listDirectoryRoles(r *request) (*response, error) {
	// The collection is not pageable ("toppable": false in Graph's schema).
	if err := r.refuseOptions("$top", "$skip", "$skiptoken"); err != nil {
		return nil, err
	}
	if err := r.refuseMockOptions("directoryRoles", "$search", "$orderby", "$expand", "$count"); err != nil {
		return nil, err
	}
	sel, err := r.selectProps(lookupRoleProperty, "Microsoft.DirectoryServices.DirectoryRole")
	if err != nil {
		return nil, err
	}
	filter, err := compileFilter(r.query.Get("$filter"), directoryRolesFilterSchema, false)
	if err != nil {
		return nil, err
	}
	var roles []directoryRole
	if err := s.store.View(func(tx store.Tx) error {
		roles, err = activatedRoles(tx)
		return err
	}); err != nil {
		return nil, err
	}
	value := make([]map[string]any, 0, len(roles))
	for i := range roles {
		role := &roles[i]
		keep := filter.Match(func(name string) any {
			if get, ok := directoryRoleProperties[name]; ok {
				return get(role)
			}
			return nil
		})
		if keep {
			value = append(value, renderRole(role, sel))
		}
	}
	return ok(map[string]any{"@odata.context": r.contextURL("directoryRoles"), "value": value})
}

// refuseMockOptions answers 400 for query options Graph supports on an
// endpoint but the mock does not emulate there.
func (r *request) refuseMockOptions(resource string, options ...string) error {
	for _, o := range options {
		if o == "$count" {
			if v, _ := r.countOption(); !v {
				continue
			}
		}
		if _, ok := r.query[o]; ok {
			return errBadRequest(codeUnsupportedQuery, "%s on %s is not supported by the mfactl mock.", o, resource)
		}
	}
	return nil
}

// resolveRole finds the activated role a {role} segment names: its object
// id, or its template id as roleTemplateId={id} (the alternate key; the
// quoted form roleTemplateId='{id}' is accepted too).
func resolveRole(tx store.Tx, ref string) (*directoryRole, error) {
	notFound := errNotFound("Resource '%s' does not exist or one of its queried reference-property objects are not present.", ref)
	if k, v, ok := strings.Cut(ref, "="); ok && strings.EqualFold(strings.TrimSpace(k), "roleTemplateId") {
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		if !odata.IsGUID(v) {
			return nil, errBadRequest(codeBadRequest, "Invalid object identifier '%s'.", v)
		}
		role, found, err := activatedRole(tx, strings.ToLower(v))
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, notFound
		}
		return role, nil
	}
	if !odata.IsGUID(ref) {
		return nil, errBadRequest(codeBadRequest, "Invalid object identifier '%s'.", ref)
	}
	id := strings.ToLower(ref)
	for _, t := range roleTemplates {
		if directoryRoleID(t.templateID) == id {
			role, found, err := activatedRole(tx, t.templateID)
			if err != nil {
				return nil, err
			}
			if !found {
				return nil, notFound
			}
			return role, nil
		}
	}
	// A role the mock has no template for: look among the activated ones.
	roles, err := activatedRoles(tx)
	if err != nil {
		return nil, err
	}
	for i := range roles {
		if roles[i].id == id {
			return &roles[i], nil
		}
	}
	return nil, notFound
}

func (s *Server) getDirectoryRole(r *request) (*response, error) {
	sel, err := r.selectProps(lookupRoleProperty, "Microsoft.DirectoryServices.DirectoryRole")
	if err != nil {
		return nil, err
	}
	var body map[string]any
	if err := s.store.View(func(tx store.Tx) error {
		role, err := resolveRole(tx, r.params["role"])
		if err != nil {
			return err
		}
		body = renderRole(role, sel)
		return nil
	}); err != nil {
		return nil, err
	}
	body["@odata.context"] = r.contextURL("directoryRoles/$entity")
	return ok(body)
}

// memberCasts are the OData type casts of /members/{cast} and the entity
// sets their @odata.context names. Only users hold roles in the mock, so
// the other casts are empty.
var memberCasts = map[string]string{
	"microsoft.graph.user":             "users",
	"microsoft.graph.group":            "groups",
	"microsoft.graph.serviceprincipal": "servicePrincipals",
	"microsoft.graph.device":           "devices",
	"microsoft.graph.orgcontact":       "contacts",
}

// listRoleMembers is GET /directoryRoles/{role}/members: the role's users
// as directoryObjects (each with its @odata.type), in user-id order, or
// with a type cast (/members/microsoft.graph.user) as users (without
// @odata.type, which the cast makes implicit).
func (s *Server) listRoleMembers(r *request) (*response, error) {
	entitySet, usersOnly := "directoryObjects", true
	cast, isCast := r.params["cast"]
	if isCast {
		set, known := memberCasts[strings.ToLower(cast)]
		if !known {
			return nil, errBadRequest("BadRequest", "Resource not found for the segment '%s'.", cast)
		}
		entitySet, usersOnly = set, set == "users"
	}
	if err := r.refuseOptions("$skip"); err != nil {
		return nil, err
	}
	if err := r.refuseMockOptions("directory role members", "$filter", "$search", "$orderby", "$expand", "$count"); err != nil {
		return nil, err
	}
	sel, err := r.selectProps(lookupUserProperty, "Microsoft.DirectoryServices.User")
	if err != nil {
		return nil, err
	}
	size, err := r.pageSize(roleMembersDefaultPage, roleMembersMaxPage)
	if err != nil {
		return nil, err
	}
	after, err := r.skipToken()
	if err != nil {
		return nil, err
	}
	page := make([]map[string]any, 0, min(size, 128))
	var last string
	more := false
	err = s.store.View(func(tx store.Tx) error {
		role, err := resolveRole(tx, r.params["role"])
		if err != nil || !usersOnly {
			return err
		}
		prefix := role.templateID + "/"
		from := ""
		if after != "" {
			from = prefix + after + "\x00"
		}
		// $select=id (what a client resolving admins asks) needs no
		// decoding: the key has the id, the user only has to exist.
		idOnly := len(sel) == 1 && sel[0] == "id"
		var inner error
		err = tx.Scan(bucketRoleMembers, prefix, from, func(key string, _ []byte) bool {
			id := key[len(prefix):]
			var u userRecord
			var found bool
			var err error
			if idOnly {
				_, found = tx.Get(bucketUsers, id)
			} else {
				found, err = store.GetJSON(tx, bucketUsers, id, &u)
			}
			if err != nil {
				inner = err
				return false
			}
			if !found {
				return true // an entry whose user is gone
			}
			if len(page) == size {
				more = true
				return false
			}
			item := map[string]any{"id": id}
			if !idOnly {
				item = renderUser(&u, sel)
			}
			if !isCast {
				item["@odata.type"] = "#microsoft.graph.user"
			}
			page = append(page, item)
			last = id
			return true
		})
		if inner != nil {
			return inner
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	body := map[string]any{"@odata.context": r.contextURL(entitySet), "value": page}
	if more {
		body["@odata.nextLink"] = r.nextLink(last)
	}
	return &response{status: http.StatusOK, body: body}, nil
}
