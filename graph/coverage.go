package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	abs "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mfactl/mfactl/methods"
)

// The reads behind the coverage report: counts, the registration report's
// pages, directory roles, and per-user method lists and sign-in preferences
// as $batch steps. Large collections are read as raw JSON pages, decoded
// by the caller into its own types: a 999-user page of the SDK's models
// costs more to decode than to fetch.

// MaxPageSize is the largest $top Graph accepts on users and on
// userRegistrationDetails.
const MaxPageSize = 999

// PageQuery is a GET of a Graph collection.
type PageQuery struct {
	// Beta reads from /beta instead of /v1.0.
	Beta bool
	// Path is relative to the version root, e.g.
	// "/reports/authenticationMethods/userRegistrationDetails".
	Path string
	// Query holds the OData options ($top, $filter, $select, ...).
	Query url.Values
	// Headers are added to every page's request (ConsistencyLevel).
	Headers map[string]string
	// Op and Role name the read for errors ("read the registration report").
	Op   string
	Role RoleHint
}

// ListPages reads a collection page by page, following @odata.nextLink as
// the absolute URL Graph sends, and hands fn each page's value array as raw
// JSON. While fn works on one page the next is already being fetched, so a
// long listing costs the server's time per page, not the server's plus the
// caller's. fn's error stops the listing and is returned as it is.
func (c *Client) ListPages(ctx context.Context, q PageQuery, fn func(values json.RawMessage) error) error {
	a := c.v1
	if q.Beta {
		a = c.beta
	}
	first, err := url.Parse(a.GetBaseUrl() + "/" + strings.TrimLeft(q.Path, "/"))
	if err != nil {
		return fmt.Errorf("graph: %s: %w", q.Op, err)
	}
	first.RawQuery = encodeODataQuery(q.Query)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type page struct {
		Value    json.RawMessage `json:"value"`
		NextLink string          `json:"@odata.nextLink"`
		err      error
	}
	fetch := func(u *url.URL) (p page) {
		ri := abs.NewRequestInformation()
		ri.Method = abs.GET
		ri.SetUri(*u)
		ri.Headers.TryAdd("Accept", "application/json")
		for k, v := range q.Headers {
			ri.Headers.TryAdd(k, v)
		}
		if err := getJSON(ctx, a, ri, &p); err != nil {
			p.err = wrap(q.Op, q.Role, err)
		}
		return p
	}
	cur := fetch(first)
	for {
		if cur.err != nil {
			return cur.err
		}
		var next chan page
		if cur.NextLink != "" {
			u, err := url.Parse(cur.NextLink)
			if err != nil {
				return fmt.Errorf("graph: %s: bad @odata.nextLink: %w", q.Op, err)
			}
			next = make(chan page, 1)
			go func() { next <- fetch(u) }()
		}
		if err := fn(cur.Value); err != nil {
			cancel()
			if next != nil {
				<-next
			}
			return err
		}
		if next == nil {
			return nil
		}
		cur = <-next
	}
}

// RefusedQueryOption reports whether err is Graph refusing a query option
// of the request (400 naming the option, as for a query option a resource
// does not support): a caller that sent the option as an optimisation can
// read again without it.
func RefusedQueryOption(err error, option string) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.Status == 400 && strings.Contains(ge.Message, option)
}

// encodeODataQuery encodes query options with their $ left as it is and
// spaces as %20, as Graph's own examples (and the SDK) write them.
func encodeODataQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	s := strings.ReplaceAll(q.Encode(), "+", "%20")
	return strings.ReplaceAll(s, "%24", "$")
}

// CountUsers returns the number of users matching an OData filter ("" for
// all) through GET /users/$count, an advanced query
// (ConsistencyLevel: eventual).
func (c *Client) CountUsers(ctx context.Context, filter string) (int, error) {
	h := abs.NewRequestHeaders()
	h.Add("ConsistencyLevel", "eventual")
	cfg := &users.CountRequestBuilderGetRequestConfiguration{Headers: h}
	if filter != "" {
		cfg.QueryParameters = &users.CountRequestBuilderGetQueryParameters{Filter: &filter}
	}
	n, err := c.users().Count().Get(ctx, cfg)
	if err != nil {
		return 0, wrap("count users", RoleReadUsers, err)
	}
	return int(deref(n)), nil
}

// DirectoryRole is an activated directory (admin) role.
type DirectoryRole struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	RoleTemplateID string `json:"roleTemplateId"`
}

// ListDirectoryRoles lists the tenant's activated directory roles
// (GET /directoryRoles).
func (c *Client) ListDirectoryRoles(ctx context.Context) ([]DirectoryRole, error) {
	return c.listRoles(ctx, PageQuery{Path: "/directoryRoles", Op: "list directory roles", Role: RoleDirectory})
}

// listRoles reads every page of a list of directory roles.
func (c *Client) listRoles(ctx context.Context, q PageQuery) ([]DirectoryRole, error) {
	var out []DirectoryRole
	err := c.ListPages(ctx, q,
		func(values json.RawMessage) error {
			var page []DirectoryRole
			if err := json.Unmarshal(values, &page); err != nil {
				return fmt.Errorf("graph: decode directory roles: %w", err)
			}
			out = append(out, page...)
			return nil
		})
	return out, err
}

// ListRoleMemberIDs calls fn with the object id of every user holding the
// role (GET /directoryRoles/{id}/members, ids only); other kinds of
// directory objects are skipped.
func (c *Client) ListRoleMemberIDs(ctx context.Context, roleID string, fn func(id string)) error {
	q := url.Values{"$select": {"id"}, "$top": {fmt.Sprint(MaxPageSize)}}
	return c.ListPages(ctx, PageQuery{Path: "/directoryRoles/" + url.PathEscape(roleID) + "/members", Query: q, Op: "list the members of directory role " + roleID, Role: RoleDirectory},
		func(values json.RawMessage) error {
			var page []struct {
				Type string `json:"@odata.type"`
				ID   string `json:"id"`
			}
			if err := json.Unmarshal(values, &page); err != nil {
				return fmt.Errorf("graph: decode role members: %w", err)
			}
			for _, m := range page {
				if m.Type == "" || m.Type == "#microsoft.graph.user" {
					fn(m.ID)
				}
			}
			return nil
		})
}

// AdminIDs is the set of users who are admins, mfactl's one definition of
// an admin (the coverage report's isAdmin, `user show`): a user holding an
// activated directory role, read as the members of every role in
// /directoryRoles, which is what userRegistrationDetails.isAdmin reports
// (microsoft-graph-docs-contrib api-reference/v1.0/resources/userregistrationdetails.md:
// "isAdmin: Indicates whether the user has an admin role in the tenant").
func (c *Client) AdminIDs(ctx context.Context) (map[string]bool, error) {
	roles, err := c.ListDirectoryRoles(ctx)
	if err != nil {
		return nil, err
	}
	admins := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make([]error, len(roles))
	sem := make(chan struct{}, 4)
	for i, r := range roles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = c.ListRoleMemberIDs(ctx, r.ID, func(id string) {
				mu.Lock()
				admins[id] = true
				mu.Unlock()
			})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return admins, nil
}

// MethodListRequest is GET /users/{id}/authentication/methods on beta
// (whose list includes hardware OATH tokens with their device), as a
// $batch step.
func (c *Client) MethodListRequest(user string) *abs.RequestInformation {
	return rawRequest(c.beta, abs.GET, "/users/{user%2Did}/authentication/methods", map[string]string{"user%2Did": user})
}

// SignInPreferencesRequest is GET /users/{id}/authentication/signInPreferences
// (beta), as a $batch step.
func (c *Client) SignInPreferencesRequest(user string) *abs.RequestInformation {
	return rawRequest(c.beta, abs.GET, signInPreferencesPath, map[string]string{"user%2Did": user})
}

// wireMethod is an authentication method as Graph sends it: mfactl's
// model uses Graph's property names, but the type is in @odata.type.
type wireMethod struct {
	ODataType string `json:"@odata.type"`
	methods.Method
}

// DecodeMethodList decodes the answer of MethodListRequest (or any method
// list) into mfactl's model, the password included.
func DecodeMethodList(body []byte) ([]methods.Method, error) {
	var page struct {
		Value []wireMethod `json:"value"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("graph: decode method list: %w", err)
	}
	out := make([]methods.Method, len(page.Value))
	for i, w := range page.Value {
		out[i] = w.Method
		out[i].Kind = methods.KindFromODataType(w.ODataType)
	}
	return out, nil
}

// DecodeSignInPreferences decodes the answer of SignInPreferencesRequest.
func DecodeSignInPreferences(body []byte) (methods.SignInPreferences, error) {
	var w signInPreferencesJSON
	if err := json.Unmarshal(body, &w); err != nil {
		return methods.SignInPreferences{}, fmt.Errorf("graph: decode sign-in preferences: %w", err)
	}
	return methods.SignInPreferences{UserPreferred: methods.DefaultMethod(deref(w.UserPreferred)), SystemPreferredMethodEnabled: w.SystemPreferred}, nil
}
