package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	abs "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/mfactl/mfactl/internal/exitcode"
	"github.com/mfactl/mfactl/methods"
)

// userSelect is the property set mfactl reads for a user. accountEnabled and
// userType are not in Graph's default set, so they must be selected.
var userSelect = []string{"id", "userPrincipalName", "displayName", "mail", "jobTitle", "userType", "accountEnabled"}

func (c *Client) users() *users.UsersRequestBuilder {
	return users.NewUsersRequestBuilderInternal(map[string]string{"baseurl": c.v1.GetBaseUrl()}, c.v1)
}

// GetUser reads one user by object id or user principal name. An unknown
// user is a *Error with status 404 whose message names the user.
func (c *Client) GetUser(ctx context.Context, user string) (methods.User, error) {
	if err := ValidateUserRef(user); err != nil {
		return methods.User{}, err
	}
	cfg := &users.UserItemRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UserItemRequestBuilderGetQueryParameters{Select: userSelect},
	}
	u, err := c.users().ByUserId(user).Get(ctx, cfg)
	if err != nil {
		return methods.User{}, userError("get user", user, RoleReadUsers, err)
	}
	return convertUser(u), nil
}

// UserRequest is GetUser's read (the user with mfactl's properties) as a
// step of a beta $batch, beside MethodListRequest; the user resource's
// properties are the same on beta.
func (c *Client) UserRequest(user string) *abs.RequestInformation {
	ri := rawRequest(c.beta, abs.GET, "/users/{user%2Did}{?%24select}", map[string]string{"user%2Did": user})
	ri.QueryParameters["%24select"] = strings.Join(userSelect, ",")
	return ri
}

// DecodeUser decodes the answer of UserRequest.
func DecodeUser(body []byte) (methods.User, error) {
	var u methods.User
	if err := json.Unmarshal(body, &u); err != nil {
		return methods.User{}, fmt.Errorf("graph: decode user: %w", err)
	}
	return u, nil
}

// userError turns a 404 into "user X not found" so the one line on stderr
// names the user the admin typed.
func userError(op, user string, role RoleHint, err error) error {
	werr := wrap(op+" "+user, role, err)
	if ge, ok := werr.(*Error); ok && ge.Status == 404 {
		ge.Op = ""
		ge.Message = fmt.Sprintf("user %q not found", user)
		ge.Hint = "check the user principal name (e.g. adele@contoso.com) or object id"
	}
	return werr
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsObjectID reports whether s looks like a directory object id (a GUID).
func IsObjectID(s string) bool { return guidPattern.MatchString(s) }

// ValidateUserRef checks a <user> argument before any request: an object id
// or a user principal name (name@domain).
func ValidateUserRef(user string) error {
	switch {
	case user == "":
		return &UsageError{Msg: "no user given: pass a user principal name (name@domain) or an object id"}
	case IsObjectID(user):
		return nil
	case strings.ContainsAny(user, " /\\?") || !strings.Contains(user, "@") || strings.HasPrefix(user, "@") || strings.HasSuffix(user, "@"):
		return &UsageError{Msg: fmt.Sprintf("%q is not a user principal name (name@domain) or an object id", user)}
	}
	return nil
}

// UsageError is bad input found before any request was sent (exit code 2).
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// ExitCode is 2: bad input.
func (e *UsageError) ExitCode() int { return exitcode.Usage }

// ListUsersOptions filter a user listing.
type ListUsersOptions struct {
	// Filter is an OData $filter, e.g. startswith(userPrincipalName,'a').
	Filter string
	// PageSize is $top (1-999); 0 lets the server choose.
	PageSize int32
	// Count asks for @odata.count (needs ConsistencyLevel: eventual).
	Count bool
}

// ListUsers pages through users, calling fn for each until it returns false.
// It follows @odata.nextLink as an absolute URL, as Graph requires.
func (c *Client) ListUsers(ctx context.Context, opts ListUsersOptions, fn func(methods.User) bool) error {
	q := &users.UsersRequestBuilderGetQueryParameters{Select: userSelect}
	if opts.Filter != "" {
		q.Filter = &opts.Filter
	}
	if opts.PageSize > 0 {
		q.Top = &opts.PageSize
	}
	cfg := &users.UsersRequestBuilderGetRequestConfiguration{QueryParameters: q}
	if opts.Count {
		q.Count = &opts.Count
		h := abs.NewRequestHeaders()
		h.Add("ConsistencyLevel", "eventual")
		cfg.Headers = h
	}
	resp, err := c.users().Get(ctx, cfg)
	if err != nil {
		return wrap("list users", RoleReadUsers, err)
	}
	it, err := msgraphcore.NewPageIterator[models.Userable](resp, c.v1, models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		return wrap("list users", RoleReadUsers, err)
	}
	if cfg.Headers != nil {
		it.SetHeaders(cfg.Headers)
	}
	err = it.Iterate(ctx, func(u models.Userable) bool { return fn(convertUser(u)) })
	return wrap("list users", RoleReadUsers, err)
}

func convertUser(u models.Userable) methods.User {
	return methods.User{
		ID:                deref(u.GetId()),
		UserPrincipalName: deref(u.GetUserPrincipalName()),
		DisplayName:       deref(u.GetDisplayName()),
		Mail:              deref(u.GetMail()),
		JobTitle:          deref(u.GetJobTitle()),
		UserType:          deref(u.GetUserType()),
		AccountEnabled:    u.GetAccountEnabled(),
	}
}

// ListUsersByUPN pages through every user in userPrincipalName order
// (descending with desc), MaxPageSize users a request, calling fn for each
// until it returns false. $orderby on userPrincipalName works on /users by
// default, without the advanced query parameters (concepts/aad-advanced-queries.md,
// "Support for sorting by properties of Azure AD (directory) objects":
// user userPrincipalName, Default), and desc is OData's descending order
// (concepts/query-parameters.md, "orderby parameter"); no $filter is sent,
// since $filter and $orderby together need ConsistencyLevel: eventual and
// $count=true. With $select a page costs 1 resource unit.
func (c *Client) ListUsersByUPN(ctx context.Context, desc bool, fn func(methods.User) bool) error {
	order := "userPrincipalName"
	if desc {
		order += " desc"
	}
	q := url.Values{"$select": {strings.Join(userSelect, ",")}, "$top": {strconv.Itoa(MaxPageSize)}, "$orderby": {order}}
	stopped := errors.New("stopped")
	err := c.ListPages(ctx, PageQuery{Path: "/users", Query: q, Op: "list users", Role: RoleReadUsers}, func(values json.RawMessage) error {
		var page []methods.User
		if err := json.Unmarshal(values, &page); err != nil {
			return fmt.Errorf("graph: decode users: %w", err)
		}
		for _, u := range page {
			if !fn(u) {
				return stopped
			}
		}
		return nil
	})
	if errors.Is(err, stopped) {
		return nil
	}
	return err
}
