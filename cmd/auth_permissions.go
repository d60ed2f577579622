package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/permissions"
)

// This file is the permission side of `auth status` and of 403 errors:
// both read internal/permissions, the one table of what each command
// needs.

// accessReport is what `auth status` says about the current token: what it
// holds and which commands Graph will refuse, and why.
type accessReport struct {
	// Token is "jwt" (its claims decoded locally) or "opaque" (a static
	// token, as --mock and --endpoint use: what it allows is not in it).
	Token  string              `json:"token"`
	Claims *permissions.Claims `json:"claims,omitempty"`
	// DirectoryRoles are the signed-in user's roles; RolesFrom says where
	// they were read: "graph" (GET /me/memberOf) or "token" (wids).
	DirectoryRoles []string `json:"directoryRoles"`
	RolesFrom      string   `json:"rolesFrom,omitempty"`
	// Unknown says what could not be read, so the verdicts may miss gaps.
	Unknown  []string        `json:"unknown,omitempty"`
	Refused  []commandAccess `json:"refused"`
	Degraded []commandAccess `json:"degraded,omitempty"`
}

// commandAccess is one command's verdict and the reasons.
type commandAccess struct {
	Command string   `json:"command"`
	Why     []string `json:"why"`
}

// accessTimeout bounds the reads of `auth status` (the token, the roles).
const accessTimeout = 30 * time.Second

// readAccess builds the access report of this run's sign-in. It only reads
// (the token from the credential's cache, the user's roles from Graph) and
// reports what it could not read instead of failing.
func readAccess(ctx context.Context, f *cmdutil.Factory) *accessReport {
	ctx, cancel := context.WithTimeout(ctx, accessTimeout)
	defer cancel()
	rep := &accessReport{DirectoryRoles: []string{}, Refused: []commandAccess{}}
	client, err := f.Graph()
	if err != nil {
		rep.Unknown = append(rep.Unknown, "the token: "+errorLine(err))
		return rep
	}
	var grant permissions.Grant
	raw, err := client.AccessToken(ctx)
	switch {
	case err != nil:
		rep.Unknown = append(rep.Unknown, "the token: "+errorLine(err))
	default:
		claims, perr := permissions.ParseToken(raw)
		switch {
		case errors.Is(perr, permissions.ErrOpaque):
			rep.Token = "opaque"
		case perr != nil:
			rep.Unknown = append(rep.Unknown, "the token: "+perr.Error())
		default:
			rep.Token, rep.Claims, grant = "jwt", &claims, claims.Grant()
			if len(claims.RoleTemplateIDs) > 0 {
				rep.DirectoryRoles, rep.RolesFrom = grant.Roles, "token"
			}
		}
	}
	if !grant.App {
		roles, err := client.MyDirectoryRoles(ctx)
		if err != nil {
			rep.Unknown = append(rep.Unknown, "the signed-in user's directory roles: "+errorLine(err))
		} else {
			names := make([]string, 0, len(roles))
			for _, r := range roles {
				name := r.DisplayName
				if name == "" {
					name = permissions.RoleName(r.RoleTemplateID)
				}
				names = append(names, name)
			}
			slices.Sort(names)
			rep.DirectoryRoles, rep.RolesFrom = names, "graph"
			grant.Roles, grant.RolesKnown = names, true
		}
	}
	for _, c := range permissions.Commands {
		if c.Local || c.MockOnly {
			continue
		}
		gaps := permissions.CheckCommand(c, grant)
		if len(gaps) == 0 {
			continue
		}
		entry := commandAccess{Command: c.Path}
		for _, g := range gaps {
			entry.Why = append(entry.Why, gapReason(g, grant.App))
		}
		if permissions.Refused(gaps) {
			rep.Refused = append(rep.Refused, entry)
		} else {
			rep.Degraded = append(rep.Degraded, entry)
		}
	}
	return rep
}

// gapReason says why a requirement is not met.
func gapReason(g permissions.Gap, app bool) string {
	r := g.Requirement
	var parts []string
	switch {
	case g.AppUnsupported:
		parts = append(parts, "needs a person signed in (Graph has no application permission for it)")
	case g.Permission && app:
		parts = append(parts, "needs the application permission "+orList(r.Application))
	case g.Permission:
		parts = append(parts, "needs the delegated permission "+orList(r.Delegated))
	}
	if g.Role {
		parts = append(parts, "needs the role "+orList(r.Roles))
	}
	prefix := "to " + r.What
	if g.Optional {
		prefix = "goes on without being able to " + r.What
	}
	return prefix + ": " + strings.Join(parts, " and ")
}

// orList joins names as "A, B or C".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// printAccess writes the report's section of `auth status`.
func printAccess(w io.Writer, rep *accessReport) {
	if rep == nil {
		return
	}
	switch {
	case rep.Claims != nil:
		c := rep.Claims
		who := c.User
		if c.App {
			who = "application " + c.AppID
		}
		line := "JWT for " + dashIfEmpty(who)
		if !c.Expires.IsZero() {
			line += ", expires " + c.Expires.Format(time.RFC3339)
		}
		fmt.Fprintf(w, "token:     %s (decoded locally)\n", line)
		fmt.Fprintf(w, "scopes:    %s\n", dashIfEmpty(strings.Join(c.Scopes, " ")))
		fmt.Fprintf(w, "app roles: %s\n", dashIfEmpty(strings.Join(c.Roles, " ")))
		fmt.Fprintf(w, "wids:      %s\n", dashIfEmpty(strings.Join(c.RoleTemplateIDs, " ")))
	case rep.Token == "opaque":
		fmt.Fprintln(w, "token:     opaque (a static token): its permissions are not in it; only its roles are checked")
	}
	roles := "-"
	if len(rep.DirectoryRoles) > 0 {
		roles = strings.Join(rep.DirectoryRoles, ", ")
	}
	if rep.RolesFrom != "" {
		roles += " (from " + map[string]string{"graph": "Graph", "token": "the token's wids"}[rep.RolesFrom] + ")"
	}
	fmt.Fprintf(w, "roles:     %s\n", roles)
	for _, u := range rep.Unknown {
		fmt.Fprintf(w, "unknown:   %s\n", u)
	}
	if len(rep.Refused) == 0 {
		fmt.Fprintln(w, "refused:   none of mfactl's commands")
	} else {
		fmt.Fprintf(w, "refused:   %d commands (see docs/permissions.md)\n", len(rep.Refused))
		printVerdicts(w, rep.Refused)
	}
	if len(rep.Degraded) > 0 {
		fmt.Fprintf(w, "degraded:  %d commands run, without what they cannot read\n", len(rep.Degraded))
		printVerdicts(w, rep.Degraded)
	}
}

func printVerdicts(w io.Writer, vs []commandAccess) {
	width := 0
	for _, v := range vs {
		width = max(width, len(v.Command))
	}
	for _, v := range vs {
		for i, why := range v.Why {
			name := v.Command
			if i > 0 {
				name = ""
			}
			fmt.Fprintf(w, "  %-*s  %s\n", width, name, why)
		}
	}
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// withPermissionHint gives a 403 the hint of the permissions table: what
// the refused request needed, and, when the token says so, which part of
// it the caller lacks. Other errors pass unchanged.
func withPermissionHint(f *cmdutil.Factory, c *cobra.Command, err error) error {
	var ge *graph.Error
	if err == nil || !errors.As(err, &ge) || ge.Status != 403 {
		return err
	}
	hint := permissionHint(f, c, ge)
	if hint == "" {
		return err
	}
	return cmdutil.WithExit(cmdutil.ExitCodeOf(err), err, hint)
}

func permissionHint(f *cmdutil.Factory, c *cobra.Command, ge *graph.Error) string {
	access := ge.Access
	if access == "" && c != nil {
		// A request without its own kind of access: the command's most
		// specific need (its last).
		if cmd, ok := permissions.ForCommand(commandPathOf(c)); ok && len(cmd.Needs) > 0 {
			access = cmd.Needs[len(cmd.Needs)-1]
		}
	}
	req, ok := permissions.Lookup(access)
	if !ok {
		return ""
	}
	// Name what is missing when the token tells (a JWT, read from the
	// credential's cache); else name the whole requirement.
	if g := tokenGrant(f); g != nil {
		if gap := permissions.Check(access, *g); gap != nil {
			return gapReason(*gap, g.App) + "; `mfactl auth status` shows what your sign-in holds"
		}
	}
	var parts []string
	switch {
	case slices.Equal(req.Application, req.Delegated):
		parts = append(parts, "the permission "+orList(req.Delegated)+" (delegated or application)")
	case len(req.Application) > 0:
		parts = append(parts, "the delegated permission "+orList(req.Delegated)+" (an app: "+orList(req.Application)+")")
	default:
		parts = append(parts, "the delegated permission "+orList(req.Delegated)+" (no application permission exists)")
	}
	if len(req.Roles) > 0 {
		role := "a signed-in person also needs the role " + orList(req.Roles)
		if req.RoleNote != "" {
			role += " (" + req.RoleNote + ")"
		}
		parts = append(parts, role)
	}
	return "to " + req.What + " Graph needs " + strings.Join(parts, "; ") + "; `mfactl auth status` shows what your sign-in holds"
}

// tokenGrant reads the grant of this run's token when it is a JWT the
// client already holds (no sign-in is started for it), else nil.
func tokenGrant(f *cmdutil.Factory) *permissions.Grant {
	if f.Backend().Kind == "" {
		return nil // no client was built
	}
	client, err := f.Graph()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	raw, err := client.AccessToken(ctx)
	if err != nil {
		return nil
	}
	claims, err := permissions.ParseToken(raw)
	if err != nil {
		return nil
	}
	g := claims.Grant()
	return &g
}

// commandPathOf is c's path without the program name ("phone add").
func commandPathOf(c *cobra.Command) string {
	path := c.CommandPath()
	if root := c.Root(); root != nil {
		path = strings.TrimPrefix(strings.TrimPrefix(path, root.Name()), " ")
	}
	return path
}
