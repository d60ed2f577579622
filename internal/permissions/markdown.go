package permissions

import (
	"fmt"
	"strings"
)

// READMETable renders the permission table of the README's "Using mfactl
// with a real tenant": one row per kind of access.
func READMETable() string {
	var b strings.Builder
	b.WriteString("| to | delegated permission (any one, least privileged first) | application permission | Entra role of the signed-in user (any one) |\n")
	b.WriteString("|---|---|---|---|\n")
	for _, r := range Requirements {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.What, code(r.Delegated), orText(code(r.Application), "not supported"), roles(r))
	}
	return b.String()
}

// Reference renders docs/permissions.md: the table command by command,
// then each kind of access with its endpoints and the docs it comes from.
func Reference() string {
	var b strings.Builder
	b.WriteString("# Permissions and roles, command by command\n\n")
	b.WriteString("Generated from `internal/permissions` (`go test ./internal/permissions -update` rewrites it);\n")
	b.WriteString("`mfactl auth status` checks the signed-in token against the same table, and a 403 names\n")
	b.WriteString("what it lacks. Paths are in the Microsoft Graph API reference, repository\n")
	b.WriteString("microsoftgraph/microsoft-graph-docs-contrib.\n\n")
	b.WriteString("| command | needs | when allowed | one of |\n|---|---|---|---|\n")
	for _, c := range Commands {
		switch {
		case c.Local:
			fmt.Fprintf(&b, "| `%s` | nothing from Graph (local files) | | |\n", c.Path)
		case c.MockOnly:
			fmt.Fprintf(&b, "| `%s` | the mock's emulator (not in Graph) | | |\n", c.Path)
		default:
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.Path, accessList(c.Needs), accessList(c.Optional), accessList(c.OneOf))
		}
	}
	b.WriteString("\nOther commands (`auth login|logout`, `config`, `audit`, `version`, `completion`, `mock`, `verify`, `enroll`) send nothing to Graph that needs a permission, or act on the mock only.\n")
	for _, r := range Requirements {
		fmt.Fprintf(&b, "\n## %s\n\n%s.\n\n", r.Access, upperFirst(r.What))
		for _, e := range r.Endpoints {
			fmt.Fprintf(&b, "- `%s`\n", e)
		}
		fmt.Fprintf(&b, "\n- delegated: %s\n- application: %s\n- Entra role: %s\n", code(r.Delegated), orText(code(r.Application), "not supported"), roles(r))
		fmt.Fprintf(&b, "- docs: %s\n", code(r.Docs))
		if r.DocsNote != "" {
			fmt.Fprintf(&b, "- note: %s\n", r.DocsNote)
		}
	}
	return b.String()
}

func accessList(as []Access) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = "[" + string(a) + "](#" + strings.ToLower(string(a)) + ")"
	}
	return strings.Join(s, ", ")
}

func code(items []string) string {
	s := make([]string, len(items))
	for i, it := range items {
		s[i] = "`" + it + "`"
	}
	return strings.Join(s, ", ")
}

func roles(r Requirement) string {
	if len(r.Roles) == 0 {
		return "none needed"
	}
	s := strings.Join(r.Roles, ", ")
	if r.RoleNote != "" {
		s += " (" + r.RoleNote + ")"
	}
	return s
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
