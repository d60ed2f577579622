package mock

import (
	"github.com/mfactl/mfactl/mock/store"
)

// The signed-in user's memberships: GET /me/memberOf and its cast
// /me/memberOf/microsoft.graph.directoryRole (v1.0 and beta), as the user
// list-memberOf page documents them
// (api-reference/v1.0/api/user-list-memberof.md; permissions:
// api-reference/v1.0/includes/permissions/user-list-memberof-permissions.md,
// User.Read for one's own). The mock has no groups, so both list the
// directory roles the caller holds in the directory (the user record's
// roles, which the demo's principals share with their tokens), each with
// its @odata.type. The docs' paging and query options ($select, $filter,
// $count) are not emulated here and are refused.
func (s *Server) memberOfRoutes(rt *router) {
	// /me/memberOf reaches these as /users/{signed-in user}/memberOf
	// (meSegments).
	rt.add("GET", "/users/{user}/memberOf", s.listMyRoles)
	rt.add("GET", "/users/{user}/memberOf/microsoft.graph.directoryRole", s.listMyRoles)
}

func (s *Server) listMyRoles(r *request) (*response, error) {
	if err := r.refuseMockOptions("memberOf", "$select", "$filter", "$count", "$search", "$orderby", "$expand", "$top", "$skiptoken"); err != nil {
		return nil, err
	}
	value := []map[string]any{}
	err := s.store.View(func(tx store.Tx) error {
		u, err := getUser(tx, r.params["user"])
		if err != nil {
			return err
		}
		for _, e := range userRoleEntries(u) {
			role := roleOf(e.templateID, e.name)
			item := renderRole(&role, nil)
			item["@odata.type"] = "#microsoft.graph.directoryRole"
			value = append(value, item)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"@odata.context": r.contextURL("directoryObjects"), "value": value})
}
