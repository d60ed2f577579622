// Package permissions is the one table of what each mfactl command needs
// from Microsoft Graph and Entra ID: the Graph permissions (delegated
// scopes and application roles) and the Entra directory roles, taken from
// the permission tables of the Graph API reference (repository
// microsoftgraph/microsoft-graph-docs-contrib; each requirement cites its
// files). The README's permission section and docs/permissions.md are
// generated from it (see Markdown), `auth status` checks a token against
// it, and a 403 names what the table says is missing.
//
// The table holds facts only; the cmd package phrases them for people.
package permissions

import (
	"slices"
	"strings"
)

// Access is one kind of access mfactl needs: a set of Graph operations that
// the docs protect with the same permissions and roles.
type Access string

// The kinds of access, each with its Requirement in Requirements.
const (
	ReadUsers      Access = "readUsers"
	ReadMethods    Access = "readMethods"
	WriteMethods   Access = "writeMethods"
	ResetPassword  Access = "resetPassword"
	ReadMFAState   Access = "readMfaState"
	WriteMFAState  Access = "writeMfaState"
	ReadPolicy     Access = "readPolicy"
	ReadTokens     Access = "readTokens"
	WriteTokens    Access = "writeTokens"
	RevokeSessions Access = "revokeSessions"
	ReadReports    Access = "readReports"
	ReadRoles      Access = "readRoles"
	ReadOwnRoles   Access = "readOwnRoles"
)

// Requirement is what one kind of access needs.
type Requirement struct {
	Access Access
	// What is done, for people ("read users' authentication methods").
	What string
	// Endpoints are the Graph requests concerned.
	Endpoints []string
	// Delegated lists the delegated permissions (scp) that allow it, least
	// privileged first; any one is enough.
	Delegated []string
	// Application lists the application permissions (roles); any one is
	// enough. Empty: app-only access is not supported.
	Application []string
	// Roles are the Entra built-in roles of which a signed-in user needs one
	// (delegated access only; Global Administrator always qualifies). Empty:
	// no directory role is needed.
	Roles []string
	// RoleNote qualifies Roles (which users a role reaches).
	RoleNote string
	// Docs are the API reference files the entry comes from; DocsNote says
	// where the docs are silent and which reading was chosen.
	Docs     []string
	DocsNote string
}

// Entra built-in roles and their template ids (the wids claim of a token),
// from Entra's built-in roles reference.
const (
	GlobalAdministrator                   = "Global Administrator"
	GlobalReader                          = "Global Reader"
	AuthenticationAdministrator           = "Authentication Administrator"
	PrivilegedAuthenticationAdministrator = "Privileged Authentication Administrator"
	AuthenticationPolicyAdministrator     = "Authentication Policy Administrator"
	ReportsReader                         = "Reports Reader"
	SecurityReader                        = "Security Reader"
	SecurityAdministrator                 = "Security Administrator"
	HelpdeskAdministrator                 = "Helpdesk Administrator"
	UserAdministrator                     = "User Administrator"
)

// RoleTemplateIDs maps the roles of the table to their template ids.
var RoleTemplateIDs = map[string]string{
	GlobalAdministrator:                   "62e90394-69f5-4237-9190-012177145e10",
	GlobalReader:                          "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
	AuthenticationAdministrator:           "c4e39bd9-1100-46d3-8c65-fb160da0071f",
	PrivilegedAuthenticationAdministrator: "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
	AuthenticationPolicyAdministrator:     "0526716b-113d-4c15-b2c8-68e3c22b9f80",
	ReportsReader:                         "4a5d8f65-41da-4de4-8968-e035b65339cf",
	SecurityReader:                        "5d6b6bb7-de71-4623-b4af-96380a352509",
	SecurityAdministrator:                 "194ae4cb-b126-40b2-bd5b-6091b380977d",
	HelpdeskAdministrator:                 "729827e3-9c14-49f7-bb1b-9608f156bbb8",
	UserAdministrator:                     "fe930be7-5e62-47db-91af-98c3a49a38b1",
}

// RoleName returns the display name of a role template id, or the id
// itself for a role the table does not use.
func RoleName(templateID string) string {
	for name, id := range RoleTemplateIDs {
		if strings.EqualFold(id, templateID) {
			return name
		}
	}
	return templateID
}

const (
	v1Perm = "api-reference/v1.0/includes/permissions/"
	v1RBAC = "api-reference/v1.0/includes/rbac-for-apis/"
	bPerm  = "api-reference/beta/includes/permissions/"
	bRBAC  = "api-reference/beta/includes/rbac-for-apis/"
	bAPI   = "api-reference/beta/api/"
	v1API  = "api-reference/v1.0/api/"
)

// Requirements is the table, one entry per kind of access.
var Requirements = []Requirement{
	{
		Access: ReadUsers, What: "read users",
		Endpoints:   []string{"GET /users/{id | userPrincipalName}", "GET /users", "GET /users/$count", "GET /me"},
		Delegated:   []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
		Application: []string{"User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"},
		Docs:        []string{v1API + "user-get.md", v1API + "user-list.md"},
		DocsNote:    "no directory role is needed: members read users by default",
	},
	{
		Access: ReadMethods, What: "read users' authentication methods and default method",
		Endpoints: []string{"GET /users/{id}/authentication/methods (and each method type)", "GET /users/{id}/authentication/hardwareOathMethods (beta)",
			"GET /users/{id}/authentication/signInPreferences (beta)", "GET /users/{id}/authentication/operations/{id}"},
		Delegated:   []string{"UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"},
		Application: []string{"UserAuthenticationMethod.Read.All", "UserAuthenticationMethod.ReadWrite.All"},
		Roles:       []string{GlobalReader, AuthenticationAdministrator, PrivilegedAuthenticationAdministrator},
		RoleNote:    "an Authentication Administrator sees phone numbers masked",
		Docs: []string{v1Perm + "authentication-list-methods-2-permissions.md", v1RBAC + "rbac-authentication-methods-apis-read-others.md",
			bPerm + "authentication-get-permissions.md"},
		DocsNote: "authentication-get-permissions.md lists the self-service scopes for signInPreferences; acting on other users takes the .All scopes of the methods list",
	},
	{
		Access: WriteMethods, What: "add, change and remove users' authentication methods, the default method and hardware token assignments",
		Endpoints: []string{"POST, PATCH, DELETE /users/{id}/authentication/{type}Methods[/{id}]", "POST /users/{id}/authentication/phoneMethods/{id}/enableSmsSignIn|disableSmsSignIn",
			"POST /users/{id}/authentication/temporaryAccessPassMethods", "PATCH /users/{id}/authentication/signInPreferences (beta)",
			"POST, DELETE /users/{id}/authentication/hardwareOathMethods[/{id}], POST .../activate (beta)"},
		Delegated:   []string{"UserAuthenticationMethod.ReadWrite.All"},
		Application: []string{"UserAuthenticationMethod.ReadWrite.All"},
		Roles:       []string{AuthenticationAdministrator, PrivilegedAuthenticationAdministrator},
		RoleNote:    "an Authentication Administrator reaches users without an admin role; Privileged Authentication Administrator reaches everyone",
		Docs: []string{bPerm + "authentication-post-hardwareoathmethods-2-permissions.md", bPerm + "authentication-update-permissions.md",
			bRBAC + "rbac-authentication-methods-apis-write-others.md", v1RBAC + "rbac-authentication-methods-apis-write.md"},
	},
	{
		Access: ResetPassword, What: "reset a user's password",
		Endpoints: []string{"POST /users/{id}/authentication/methods/{id}/resetPassword"},
		Delegated: []string{"UserAuthenticationMethod.ReadWrite.All"},
		Roles:     []string{AuthenticationAdministrator, PrivilegedAuthenticationAdministrator},
		RoleNote:  "an Authentication Administrator reaches users without an admin role",
		Docs:      []string{v1Perm + "authenticationmethod-resetpassword-permissions.md", v1RBAC + "rbac-authentication-methods-apis-write.md"},
		DocsNote:  "application permissions are not supported: a person must be signed in",
	},
	{
		Access: ReadMFAState, What: "read the per-user MFA state",
		Endpoints:   []string{"GET /users/{id}/authentication/requirements (beta)"},
		Delegated:   []string{"Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"},
		Application: []string{"Policy.Read.All", "Policy.ReadWrite.AuthenticationMethod"},
		Roles:       []string{GlobalReader, AuthenticationPolicyAdministrator},
		Docs:        []string{bAPI + "authentication-get.md", bPerm + "authentication-get-3-permissions.md", bRBAC + "rbac-authentication-methods-policy-apis-read.md"},
	},
	{
		Access: WriteMFAState, What: "set the per-user MFA state",
		Endpoints:   []string{"PATCH /users/{id}/authentication/requirements (beta)"},
		Delegated:   []string{"Policy.ReadWrite.AuthenticationMethod"},
		Application: []string{"Policy.ReadWrite.AuthenticationMethod"},
		Roles:       []string{AuthenticationPolicyAdministrator},
		Docs:        []string{bAPI + "authentication-update.md", bPerm + "authentication-update-3-permissions.md", bRBAC + "rbac-authentication-methods-policy-apis-write.md"},
	},
	{
		Access: ReadPolicy, What: "read the authentication methods policy (Temporary Access Pass settings)",
		Endpoints:   []string{"GET /policies/authenticationMethodsPolicy[/authenticationMethodConfigurations/{id}]"},
		Delegated:   []string{"Policy.Read.AuthenticationMethod", "Policy.ReadWrite.AuthenticationMethod", "Policy.Read.All"},
		Application: []string{"Policy.Read.AuthenticationMethod", "Policy.ReadWrite.AuthenticationMethod", "Policy.Read.All"},
		Roles:       []string{GlobalReader, AuthenticationPolicyAdministrator},
		Docs:        []string{v1Perm + "authenticationmethodspolicy-get-permissions.md", bRBAC + "rbac-authentication-methods-policy-apis-read.md"},
	},
	{
		Access: ReadTokens, What: "read the hardware OATH token inventory",
		Endpoints:   []string{"GET /directory/authenticationMethodDevices/hardwareOathDevices[/{id}] (beta)"},
		Delegated:   []string{"Policy.Read.AuthenticationMethod", "Policy.ReadWrite.AuthenticationMethod"},
		Application: []string{"Policy.Read.AuthenticationMethod", "Policy.ReadWrite.AuthenticationMethod"},
		Roles:       []string{GlobalReader, AuthenticationPolicyAdministrator},
		Docs:        []string{bAPI + "authenticationmethoddevice-post-hardwareoathdevices.md", bRBAC + "rbac-authentication-methods-policy-apis-read.md"},
		DocsNote:    "the inventory's permission includes are not in the docs snapshot mfactl was built from; the reading that refuses least: the policy read scopes and roles",
	},
	{
		Access: WriteTokens, What: "add, change and delete hardware OATH tokens in the inventory",
		Endpoints:   []string{"POST /directory/authenticationMethodDevices/hardwareOathDevices, PATCH and DELETE .../{id} (beta)"},
		Delegated:   []string{"Policy.ReadWrite.AuthenticationMethod"},
		Application: []string{"Policy.ReadWrite.AuthenticationMethod"},
		Roles:       []string{AuthenticationPolicyAdministrator},
		Docs:        []string{bAPI + "authenticationmethoddevice-post-hardwareoathdevices.md", bAPI + "hardwareoathtokenauthenticationmethoddevice-update.md", bRBAC + "rbac-authentication-methods-policy-apis-write.md"},
	},
	{
		Access: RevokeSessions, What: "revoke a user's sign-in sessions",
		Endpoints:   []string{"POST /users/{id}/revokeSignInSessions"},
		Delegated:   []string{"User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"},
		Application: []string{"User.RevokeSessions.All", "User.ReadWrite.All", "Directory.ReadWrite.All"},
		Roles:       []string{HelpdeskAdministrator, AuthenticationAdministrator, UserAdministrator, PrivilegedAuthenticationAdministrator},
		RoleNote:    "Helpdesk and Authentication Administrators reach users without an admin role",
		Docs:        []string{bPerm + "user-revokesigninsessions-permissions.md", v1Perm + "user-revokesigninsessions-permissions.md"},
		DocsNote:    "the beta table names User.RevokeSessions.All as least privileged; the v1.0 table of the snapshot still starts at User.ReadWrite.All; the roles are those holding microsoft.directory/users/invalidateAllRefreshTokens in Entra's built-in roles reference",
	},
	{
		Access: ReadReports, What: "read the authentication methods registration report",
		Endpoints:   []string{"GET /reports/authenticationMethods/userRegistrationDetails"},
		Delegated:   []string{"AuditLog.Read.All", "UserAuthenticationMethod.Read.All"},
		Application: []string{"AuditLog.Read.All", "UserAuthenticationMethod.Read.All"},
		Roles:       []string{ReportsReader, SecurityReader, SecurityAdministrator, GlobalReader},
		Docs:        []string{v1Perm + "authenticationmethodsroot-list-userregistrationdetails-permissions.md", v1API + "authenticationmethodsroot-list-userregistrationdetails.md"},
		DocsNote:    "the page of the snapshot names no role; these are the report readers of Entra's built-in roles",
	},
	{
		Access: ReadRoles, What: "read directory roles and their members (who is an admin)",
		Endpoints:   []string{"GET /directoryRoles", "GET /directoryRoles/{id}/members"},
		Delegated:   []string{"RoleManagement.Read.Directory", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All"},
		Application: []string{"RoleManagement.Read.Directory", "Directory.Read.All", "RoleManagement.ReadWrite.Directory", "Directory.ReadWrite.All"},
		Docs:        []string{v1API + "directoryrole-list.md", v1API + "directoryrole-list-members.md"},
		DocsNote:    "no directory role is needed: members read directory roles by default",
	},
	{
		Access: ReadOwnRoles, What: "read the signed-in user's own directory roles",
		Endpoints: []string{"GET /me/memberOf/microsoft.graph.directoryRole"},
		Delegated: []string{"User.Read", "Directory.Read.All", "Directory.ReadWrite.All", "GroupMember.Read.All"},
		Docs:      []string{v1Perm + "user-list-memberof-permissions.md"},
	},
}

// Lookup returns the requirement of an access kind.
func Lookup(a Access) (Requirement, bool) {
	i := slices.IndexFunc(Requirements, func(r Requirement) bool { return r.Access == a })
	if i < 0 {
		return Requirement{}, false
	}
	return Requirements[i], true
}

// Command is what one command needs.
type Command struct {
	// Path is the command's path below the program name ("phone add").
	Path string
	// Needs must all be allowed; Optional are read when allowed (the
	// command says what it could not read); OneOf needs at least one.
	Needs    []Access
	Optional []Access
	OneOf    []Access
	// Local is set for commands that send nothing to Graph (configuration,
	// the audit log, files); MockOnly for the emulator's commands, which
	// real Graph does not have.
	Local    bool
	MockOnly bool
}

var (
	readMethods  = []Access{ReadUsers, ReadMethods}
	writeMethods = []Access{ReadUsers, ReadMethods, WriteMethods}
)

func listAndRemove(noun string) []Command {
	return []Command{{Path: noun + " list", Needs: readMethods}, {Path: noun + " remove", Needs: writeMethods}}
}

// Commands is the table, command by command.
var Commands = slices.Concat(
	[]Command{
		{Path: "user show", Needs: readMethods, Optional: []Access{ReadMFAState}},
		{Path: "methods list", Needs: []Access{ReadMethods}},
		{Path: "phone list", Needs: readMethods},
		{Path: "phone add", Needs: writeMethods},
		{Path: "phone update", Needs: writeMethods},
		{Path: "phone remove", Needs: writeMethods},
		{Path: "phone sms-signin", Needs: writeMethods},
		{Path: "email list", Needs: readMethods},
		{Path: "email show", Needs: readMethods},
		{Path: "email set", Needs: writeMethods},
		{Path: "email remove", Needs: writeMethods},
		{Path: "tap create", Needs: writeMethods, Optional: []Access{ReadPolicy}},
		{Path: "tap show", Needs: readMethods},
		{Path: "tap remove", Needs: writeMethods},
		{Path: "default show", Needs: readMethods},
		{Path: "default set", Needs: writeMethods},
		{Path: "mfa-state show", Needs: []Access{ReadUsers, ReadMFAState}},
		{Path: "mfa-state set", Needs: []Access{ReadUsers, ReadMFAState, WriteMFAState}},
		{Path: "sessions revoke", Needs: []Access{ReadUsers, RevokeSessions}},
		{Path: "password reset", Needs: []Access{ReadUsers, ReadMethods, ResetPassword}},
		{Path: "token list", Needs: []Access{ReadTokens}},
		{Path: "token import", Needs: []Access{ReadUsers, ReadMethods, ReadTokens, WriteTokens}},
		{Path: "token assign", Needs: []Access{ReadUsers, ReadTokens, WriteMethods}},
		{Path: "token activate", Needs: []Access{ReadUsers, ReadTokens, WriteMethods}},
		{Path: "token unassign", Needs: []Access{ReadTokens, WriteMethods}},
		{Path: "token delete", Needs: []Access{ReadTokens, WriteTokens}},
		{Path: "token check", MockOnly: true},
		{Path: "reset", Needs: writeMethods, Optional: []Access{RevokeSessions, ReadPolicy}},
		{Path: "report coverage", Needs: []Access{ReadUsers, ReadRoles}, OneOf: []Access{ReadReports, ReadMethods}, Optional: []Access{ReadTokens}},
		{Path: "report tokens", Needs: []Access{ReadTokens}},
		{Path: "report diff", Local: true},
		{Path: "auth status", Optional: []Access{ReadOwnRoles}},
	},
	listAndRemove("authenticator"), listAndRemove("oath"), listAndRemove("fido2"),
	listAndRemove("whfb"), listAndRemove("platform"),
)

// ForCommand returns the entry of a command path ("phone add").
func ForCommand(path string) (Command, bool) {
	i := slices.IndexFunc(Commands, func(c Command) bool { return c.Path == path })
	if i < 0 {
		return Command{}, false
	}
	return Commands[i], true
}

// Accesses lists everything the command may use: Needs, OneOf, Optional.
func (c Command) Accesses() []Access {
	return slices.Concat(c.Needs, c.OneOf, c.Optional)
}

// Grant is what the caller holds.
type Grant struct {
	// App is set for an app-only token (no signed-in user): Permissions
	// are application permissions and directory roles do not apply.
	App bool
	// Permissions are the token's scopes (scp) or app roles (roles).
	Permissions []string
	// PermissionsKnown is false when the token cannot be read (an opaque
	// token such as the mock's): only the roles are checked.
	PermissionsKnown bool
	// Roles are the directory role names the signed-in user holds.
	Roles      []string
	RolesKnown bool
}

// Gap is a requirement the grant does not meet.
type Gap struct {
	Requirement Requirement
	// Permission: no permission of the list is held; AppUnsupported: the
	// operation needs a signed-in user; Role: no role of the list is held.
	Permission, AppUnsupported, Role bool
	// Optional gaps degrade the command instead of refusing it.
	Optional bool
}

// Check returns what a grant lacks for one access kind, or nil.
func Check(a Access, g Grant) *Gap {
	req, ok := Lookup(a)
	if !ok {
		return nil
	}
	gap := Gap{Requirement: req}
	if g.App {
		switch {
		case len(req.Application) == 0:
			gap.AppUnsupported = true
		case g.PermissionsKnown && !holdsAny(g.Permissions, req.Application):
			gap.Permission = true
		}
	} else {
		if g.PermissionsKnown && !holdsAny(g.Permissions, req.Delegated) {
			gap.Permission = true
		}
		if g.RolesKnown && len(req.Roles) > 0 && !holdsAny(g.Roles, append([]string{GlobalAdministrator}, req.Roles...)) {
			gap.Role = true
		}
	}
	if !gap.Permission && !gap.AppUnsupported && !gap.Role {
		return nil
	}
	return &gap
}

// CheckCommand returns the gaps of a command: Needs and OneOf (when none
// of them is met) refuse it, Optional ones degrade it.
func CheckCommand(c Command, g Grant) []Gap {
	var gaps []Gap
	for _, a := range c.Needs {
		if gap := Check(a, g); gap != nil {
			gaps = append(gaps, *gap)
		}
	}
	if len(c.OneOf) > 0 {
		var missing []Gap
		for _, a := range c.OneOf {
			if gap := Check(a, g); gap != nil {
				missing = append(missing, *gap)
			}
		}
		if len(missing) == len(c.OneOf) {
			gaps = append(gaps, missing...)
		}
	}
	for _, a := range c.Optional {
		if gap := Check(a, g); gap != nil {
			gap.Optional = true
			gaps = append(gaps, *gap)
		}
	}
	return gaps
}

// Refused reports whether any gap refuses the command.
func Refused(gaps []Gap) bool {
	return slices.ContainsFunc(gaps, func(g Gap) bool { return !g.Optional })
}

func holdsAny(held, wanted []string) bool {
	for _, w := range wanted {
		for _, h := range held {
			if strings.EqualFold(h, w) {
				return true
			}
		}
	}
	return false
}
