package mock

import (
	"net/http"
	"strconv"

	"github.com/mfactl/mfactl/mock/store"
)

// Page sizes of GET /users: Graph's default is 100 and $top may go to 999.
const (
	usersDefaultPage = 100
	usersMaxPage     = 999
)

func (s *Server) userRoutes(rt *router) {
	rt.add("GET", "/users", s.listUsers)
	// Before /users/{user}, which would otherwise take "$count" for a user.
	rt.add("GET", "/users/$count", s.countUsersHandler)
	rt.add("GET", "/users/{user}", s.getUserHandler)
	rt.add("GET", "/me", s.getMe)
}

// usersFilterSchema is what $filter supports on /users, after the
// directory's per-property table: eq, in, startsWith, ge and le work by
// default on the string properties the mock stores; ne, not, endsWith (on
// userPrincipalName and mail) and every operator on createdDateTime need the
// advanced query parameters; other properties are not filterable.
var usersFilterSchema = func() *filterSchema {
	text := func(name string, endsWith bool) filterProperty {
		adv := []string{"ne", "not"}
		if endsWith {
			adv = append(adv, "endswith")
		}
		return filterProperty{name: name, typ: ftString, ops: []string{"eq", "in", "startswith", "ge", "le"}, advanced: adv, nullable: true}
	}
	return &filterSchema{resource: "User", typeName: "microsoft.graph.user", props: []filterProperty{
		{name: "id", typ: ftID, ops: []string{"eq", "in", "ge", "le"}, advanced: []string{"ne", "not"}},
		text("userPrincipalName", true),
		text("mail", true),
		text("displayName", false),
		text("givenName", false),
		text("surname", false),
		text("jobTitle", false),
		text("officeLocation", false),
		text("mobilePhone", false),
		{name: "userType", typ: ftEnum, ops: []string{"eq", "in"}, advanced: []string{"ne", "not"}, nullable: true},
		{name: "accountEnabled", typ: ftBool, ops: []string{"eq", "in"}, advanced: []string{"ne", "not"}},
		{name: "createdDateTime", typ: ftDateTime, advanced: []string{"eq", "ne", "not", "ge", "le", "in"}},
		// Properties that exist but cannot be filtered.
		{name: "signInSessionsValidFromDateTime", typ: ftDateTime},
		{name: "businessPhones", typ: ftCollection},
		{name: "preferredLanguage", typ: ftString},
	}}
}()

// userFilterValue is a user property as $filter sees it.
func userFilterValue(u *userRecord, name string) any {
	switch name {
	case "accountEnabled":
		return u.AccountEnabled
	case "createdDateTime":
		return u.Created
	}
	if get, ok := userProperties[name]; ok {
		return get(u)
	}
	return nil
}

// userQuery is the parsed query of a user listing or count.
type userQuery struct {
	filter  *compiledFilter
	orderBy string
	desc    bool
	count   bool // $count=true is honoured: @odata.count on the first page
}

// parseUserQuery applies the directory's rules for /users: $count and the
// operators of advanced queries need ConsistencyLevel: eventual (and
// $count=true for the operators), as do $filter and $orderby together;
// without the header $count=true is silently ignored, as in Graph. A
// follow-up page ($skiptoken) was validated on the first page, and the
// header is not carried by nextLinks, so it is not required again.
func (r *request) parseUserQuery(countSegment bool) (*userQuery, error) {
	if err := r.refuseOptions("$skip"); err != nil {
		return nil, err
	}
	eventual := r.consistencyEventual() || r.query.Get("$skiptoken") != ""
	if _, ok := r.query["$search"]; ok {
		if !eventual {
			return nil, errBadRequest(codeUnsupportedQuery, "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
		}
		return nil, errBadRequest(codeUnsupportedQuery, "$search is not supported by the mfactl mock; use $filter (eq, startsWith, in) instead.")
	}
	count, err := r.countOption()
	if err != nil {
		return nil, err
	}
	advanced := eventual && (count || countSegment)
	q := &userQuery{count: count && eventual}
	if q.filter, err = compileFilter(r.query.Get("$filter"), usersFilterSchema, advanced); err != nil {
		return nil, err
	}
	if countSegment {
		return q, nil
	}
	if q.orderBy, q.desc, err = r.orderByOption("User", "displayName", "userPrincipalName"); err != nil {
		return nil, err
	}
	if q.orderBy != "" && q.filter != nil && !advanced {
		return nil, errBadRequest(codeUnsupportedQuery, "Sorting not supported for current query.")
	}
	return q, nil
}

func (q *userQuery) keep(u *userRecord) (bool, error) {
	return q.filter.match(func(name string) any { return userFilterValue(u, name) }), nil
}

func (s *Server) listUsers(r *request) (*response, error) {
	sel, err := r.selectProps(lookupUserProperty, "Microsoft.DirectoryServices.User")
	if err != nil {
		return nil, err
	}
	q, err := r.parseUserQuery(false)
	if err != nil {
		return nil, err
	}
	size, err := r.pageSize(usersDefaultPage, usersMaxPage)
	if err != nil {
		return nil, err
	}
	after, err := r.skipToken()
	if err != nil {
		return nil, err
	}
	sc := planUserScan(q.orderBy, q.desc, q.filter.hints())
	page := make([]map[string]any, 0, min(size, 128))
	var last string
	more, total := false, -1
	err = s.store.View(func(tx store.Tx) error {
		if q.count && after == "" {
			n, err := countUsers(tx, sc, q.keep)
			if err != nil {
				return err
			}
			total = n
		}
		last, more, err = usersPage(tx, sc, after, size, q.keep, func(u *userRecord) error {
			page = append(page, renderUser(u, sel))
			return nil
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	body := map[string]any{"@odata.context": r.contextURL("users" + selectFragment(sel)), "value": page}
	if total >= 0 {
		body["@odata.count"] = total
	}
	if more {
		body["@odata.nextLink"] = r.nextLink(last)
	}
	return ok(body)
}

// countUsersHandler is GET /users/$count: the number of (matching) users as
// text/plain. Counting directory objects needs ConsistencyLevel: eventual;
// without it Graph answers 400 "$count is not currently supported.".
func (s *Server) countUsersHandler(r *request) (*response, error) {
	if !r.consistencyEventual() {
		return nil, errBadRequest(codeBadRequest, "$count is not currently supported.")
	}
	q, err := r.parseUserQuery(true)
	if err != nil {
		return nil, err
	}
	var n int
	err = s.store.View(func(tx store.Tx) error {
		if q.filter == nil {
			n = tx.Count(bucketUsers)
			return nil
		}
		n, err = countUsers(tx, planUserScan("", false, q.filter.hints()), q.keep)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &response{status: http.StatusOK, raw: []byte(strconv.Itoa(n)), contentType: "text/plain"}, nil
}

func (s *Server) getUserHandler(r *request) (*response, error) {
	return s.renderOneUser(r, r.params["user"])
}

func (s *Server) getMe(r *request) (*response, error) {
	return s.renderOneUser(r, r.caller.UPN)
}

func (s *Server) renderOneUser(r *request, ref string) (*response, error) {
	sel, err := r.selectProps(lookupUserProperty, "Microsoft.DirectoryServices.User")
	if err != nil {
		return nil, err
	}
	var body map[string]any
	err = s.store.View(func(tx store.Tx) error {
		u, err := getUser(tx, ref)
		if err != nil {
			return err
		}
		body = renderUser(u, sel)
		return nil
	})
	if err != nil {
		return nil, err
	}
	body["@odata.context"] = r.contextURL("users" + selectFragment(sel) + "/$entity")
	return ok(body)
}
