package graph

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// AccessToken returns the bearer token this client sends (from the
// credential's cache when it has one), for reading its claims locally.
// It is a secret: callers must not print it.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	tok, err := c.cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: c.scopes})
	if err != nil {
		return "", wrap("get an access token", "", err)
	}
	return tok.Token, nil
}

// MyDirectoryRoles lists the directory roles the signed-in user holds
// (GET /me/memberOf/microsoft.graph.directoryRole, the cast of the user
// list-memberOf page: api-reference/v1.0/api/user-list-memberof.md; User.Read
// is enough for one's own). App-only credentials have no /me: Graph answers
// 400 or 404.
func (c *Client) MyDirectoryRoles(ctx context.Context) ([]DirectoryRole, error) {
	return c.listRoles(ctx, PageQuery{Path: "/me/memberOf/microsoft.graph.directoryRole", Op: "list the signed-in user's directory roles", Role: RoleOwnRoles})
}
