package mock

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/mfactl/mfactl/mock/odata"
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

// usersFilterSchema is what $filter supports on /users. Two docs pages
// speak to it and do not agree cell for cell:
//
//   - the directory's per-property table (includes/filter-directory-objects.md,
//     included by concepts/aad-advanced-queries.md) says per operator
//     whether it works by default or only with the advanced query
//     parameters (ConsistencyLevel: eventual and $count=true), with some
//     cells blank;
//   - the user resource (api-reference/v1.0/resources/user.md) lists per
//     property the operators it "Supports $filter" with, including some the
//     table leaves blank (ge and le on displayName and userPrincipalName,
//     startsWith on jobTitle, not on most strings, in on id).
//
// The mock takes the table's cell where it has one. An operator the table
// leaves blank but user.md lists works in advanced queries only (the safe
// reading: a client that sends the advanced parameters gets what user.md
// promises, one that does not learns it needs them); an operator neither
// lists is refused. in on id is default, as the newer published table and
// every client that reads users by id expect. The null column says whether
// eq null works by default, only in advanced queries, or not at all;
// endsWith, absent from the table, needs advanced queries on mail and
// userPrincipalName (concepts/aad-advanced-queries.md).
var usersFilterSchema = func() *odata.Schema {
	const (
		def = "default"
		adv = "advanced"
	)
	// prop builds a property from the table's columns eq, ne, not, ge, le,
	// in, startsWith and null values ("" for a blank cell), then the
	// operators user.md also lists ("null" for eq on null values).
	prop := func(name string, typ odata.Type, eq, ne, not, ge, le, in, startsWith, null string, userMD ...string) odata.Property {
		if null == "" && slices.Contains(userMD, "null") {
			null = adv
		}
		p := odata.Property{Name: name, Type: typ, Nullable: null != "", NullAdvanced: null == adv}
		cells := map[string]string{"eq": eq, "ne": ne, "not": not, "ge": ge, "le": le, "in": in, "startswith": startsWith}
		for _, op := range userMD {
			if cells[op] == "" {
				cells[op] = adv
			}
		}
		for op, cell := range cells {
			switch cell {
			case def:
				p.Ops = append(p.Ops, op)
			case adv:
				p.Advanced = append(p.Advanced, op)
			}
		}
		slices.Sort(p.Ops)
		slices.Sort(p.Advanced)
		return p
	}
	strOps := []string{"eq", "ne", "not", "ge", "le", "in", "startswith"}
	return &odata.Schema{Resource: "User", TypeName: "microsoft.graph.user", Props: []odata.Property{
		//   name                 type        eq   ne   not  ge   le   in   startsWith null  user.md
		prop("accountEnabled", odata.TypeBool, def, adv, adv, adv, adv, def, "", "", "eq", "ne", "not", "in"),
		prop("createdDateTime", odata.TypeDateTime, def, adv, adv, def, def, adv, "", "", "eq", "ne", "not", "ge", "le", "in"),
		prop("displayName", odata.TypeString, def, adv, adv, "", "", def, def, adv, strOps...),
		prop("givenName", odata.TypeString, def, adv, "", def, def, def, def, adv, strOps...),
		prop("id", odata.TypeID, def, adv, adv, "", "", def, "", "", "eq", "ne", "not", "in"),
		prop("jobTitle", odata.TypeString, def, adv, "", def, def, def, "", adv, strOps...),
		prop("mail", odata.TypeString, def, adv, "", def, def, def, def, "", append(strOps, "endswith", "null")...),
		prop("mobilePhone", odata.TypeString, adv, adv, "", adv, adv, adv, adv, adv, strOps...),
		prop("officeLocation", odata.TypeString, adv, adv, "", adv, adv, adv, adv, adv, strOps...),
		prop("preferredLanguage", odata.TypeString, adv, adv, "", adv, adv, adv, adv, adv, strOps...),
		prop("surname", odata.TypeString, def, adv, "", def, def, def, def, adv, strOps...),
		prop("userPrincipalName", odata.TypeString, def, adv, "", "", def, def, def, "", append(strOps, "endswith")...),
		prop("userType", odata.TypeEnum, def, adv, adv, "", "", def, "", adv, "eq", "ne", "not", "in"),
		// Properties that exist but cannot be filtered by the mock.
		{Name: "signInSessionsValidFromDateTime", Type: odata.TypeDateTime},
		{Name: "businessPhones", Type: odata.TypeCollection},
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
	filter  *odata.Filter
	search  *odata.Search
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
	var search *odata.Search
	if v, ok := r.query["$search"]; ok {
		// $search on directory objects needs ConsistencyLevel: eventual
		// (concepts/search-query-parameter.md, "Using $search on directory
		// object collections"; concepts/aad-advanced-queries.md).
		if !r.consistencyEventual() {
			return nil, errBadRequest(codeUnsupportedQuery, "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'")
		}
		var err error
		if search, err = odata.ParseSearch(v[0], searchableUserProperties); err != nil {
			return nil, queryError(err, codeBadRequest)
		}
	}
	count, err := r.countOption()
	if err != nil {
		return nil, err
	}
	advanced := eventual && (count || countSegment)
	q := &userQuery{count: count && eventual, search: search}
	if q.filter, err = compileFilter(r.query.Get("$filter"), usersFilterSchema, advanced); err != nil {
		return nil, err
	}
	if countSegment {
		return q, nil
	}
	if q.orderBy, q.desc, err = r.orderByOption("User", "displayName", "userPrincipalName"); err != nil {
		return nil, err
	}
	if q.orderBy != "" && (q.filter != nil || q.search != nil) && !advanced {
		return nil, errBadRequest(codeUnsupportedQuery, "Sorting not supported for current query.")
	}
	return q, nil
}

func (q *userQuery) keep(u *userRecord) (bool, error) {
	get := func(name string) any { return userFilterValue(u, name) }
	return q.search.Match(get) && q.filter.Match(get), nil
}

// searchableUserProperties can be searched with $search; others are
// refused (concepts/search-query-parameter.md, "Using $search on directory
// object collections").
var searchableUserProperties = []string{"displayName", "givenName", "surname", "mail", "userPrincipalName", "jobTitle"}

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
	sc := planUserScan(q.orderBy, q.desc, hintsOf(q.filter))
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
	body := map[string]any{"@odata.context": r.contextURL("users" + odata.SelectFragment(sel)), "value": page}
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
		if q.filter == nil && q.search == nil {
			n = tx.Count(bucketUsers)
			return nil
		}
		n, err = countUsers(tx, planUserScan("", false, hintsOf(q.filter)), q.keep)
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
	body["@odata.context"] = r.contextURL("users" + odata.SelectFragment(sel) + "/$entity")
	return ok(body)
}
