package mock

import (
	"errors"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/mock/odata"
)

// The $filter rules of the mock's resources (which property takes which
// operator, by default or in advanced queries) and the Graph errors they
// answer; the language itself is tested in package odata.
func TestCompileFilterChecksPropertiesAndOperators(t *testing.T) {
	tests := []struct {
		schema   *odata.Schema
		filter   string
		advanced bool
		code     string // "" when the filter is valid
		message  string
	}{
		{usersFilterSchema, "userType eq 'Guest'", false, "", ""},
		{usersFilterSchema, "accountEnabled eq false", false, "", ""},
		{usersFilterSchema, "startswith(userPrincipalName,'x') and accountEnabled eq true", false, "", ""},
		{usersFilterSchema, "id in ('6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7', 6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f8)", false, "", ""},
		// The directory's table (filter-directory-objects.md): null on
		// displayName, every operator on mobilePhone and officeLocation, and
		// the operators user.md lists but the table leaves blank need the
		// advanced parameters; operators neither lists are refused.
		{usersFilterSchema, "displayName eq null", false, codeUnsupportedQuery, "Operator 'eq' is not supported"},
		{usersFilterSchema, "displayName eq null", true, "", ""},
		{usersFilterSchema, "mobilePhone eq '+1 4255550100'", false, codeUnsupportedQuery, "Operator 'eq' is not supported"},
		{usersFilterSchema, "startswith(officeLocation,'18')", false, codeUnsupportedQuery, "Operator 'startsWith' is not supported"},
		{usersFilterSchema, "startswith(officeLocation,'18')", true, "", ""},
		{usersFilterSchema, "displayName ge 'A'", false, codeUnsupportedQuery, "Operator 'ge' is not supported"},
		{usersFilterSchema, "userPrincipalName ge 'a'", false, codeUnsupportedQuery, "Operator 'ge' is not supported"},
		{usersFilterSchema, "userPrincipalName le 'a'", false, "", ""},
		{usersFilterSchema, "startswith(jobTitle,'Dir')", false, codeUnsupportedQuery, "Operator 'startsWith' is not supported"},
		{usersFilterSchema, "startswith(jobTitle,'Dir')", true, "", ""},
		{usersFilterSchema, "displayName gt 'A'", true, codeUnsupportedQuery, "property 'displayName'"},
		{usersFilterSchema, "startswith(userType,'G')", true, codeUnsupportedQuery, "property 'userType'"},
		{usersFilterSchema, "id ge '6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7'", true, codeUnsupportedQuery, "property 'id'"},
		{usersFilterSchema, "createdDateTime in (2024-01-01T00:00:00Z)", false, codeUnsupportedQuery, "Operator 'in' is not supported"},
		{usersFilterSchema, "USERTYPE EQ 'guest'", false, "", ""},
		{usersFilterSchema, "accountEnabled ne true", false, codeUnsupportedQuery, "Operator 'ne' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header."},
		{usersFilterSchema, "accountEnabled ne true", true, "", ""},
		{usersFilterSchema, "endswith(userPrincipalName,'#EXT#@contoso.example')", false, codeUnsupportedQuery, "Operator 'endsWith' is not supported"},
		{usersFilterSchema, "endswith(userPrincipalName,'#EXT#@contoso.example')", true, "", ""},
		{usersFilterSchema, "not startswith(displayName,'A')", false, codeUnsupportedQuery, "Operator 'not' is not supported"},
		{usersFilterSchema, "not startswith(displayName,'A')", true, "", ""},
		{usersFilterSchema, "endswith(displayName,'x')", true, codeUnsupportedQuery, "Unsupported or invalid query filter clause specified for property 'displayName' of resource 'User'."},
		{usersFilterSchema, "contains(displayName,'x')", true, codeUnsupportedQuery, "property 'displayName'"},
		{usersFilterSchema, "signInSessionsValidFromDateTime ge 2024-01-01", true, codeUnsupportedQuery, "property 'signInSessionsValidFromDateTime'"},
		{usersFilterSchema, "createdDateTime ge 2024-01-01", false, "", ""},
		{usersFilterSchema, "createdDateTime ne 2024-01-01T00:00:00Z", false, codeUnsupportedQuery, "Operator 'ne' is not supported"},
		{usersFilterSchema, "nickname eq 'x'", false, codeBadBody, "Could not find a property named 'nickname' on type 'microsoft.graph.user'."},
		{usersFilterSchema, "accountEnabled eq 'yes'", false, codeBadBody, "Found operand types 'Edm.Boolean' and 'Edm.String' for operator kind 'Equal'."},
		{usersFilterSchema, "userType eq true", false, codeBadBody, "Found operand types 'Edm.String' and 'Edm.Boolean'"},
		{usersFilterSchema, "accountEnabled eq null", false, codeUnsupportedQuery, "property 'accountEnabled'"},
		{usersFilterSchema, "id eq 'not-a-guid'", false, codeBadBody, "'not-a-guid' is not a valid object id."},
		{usersFilterSchema, "'Guest' eq userType", false, codeBadBody, "the left operand of a comparison must be a property"},
		{usersFilterSchema, "userType eq displayName", false, codeBadBody, "must be a literal"},
		{usersFilterSchema, "accountEnabled", false, codeBadBody, "'accountEnabled' is not a condition"},
		{usersFilterSchema, "startswith(displayName)", false, codeBadBody, "startsWith takes 2 arguments"},
		{usersFilterSchema, "startswith(displayName, 1)", false, codeBadBody, "must be a string literal"},
		{usersFilterSchema, "userType eq 'a' and", false, codeBadBody, "Invalid filter clause: syntax error at position"},
		{registrationFilterSchema, "methodsRegistered/any(x:x eq 'email')", false, "", ""},
		{registrationFilterSchema, "methodsRegistered/any(x:x eq 'email' or x eq 'fido2')", false, "", ""},
		{registrationFilterSchema, "isMfaCapable eq true and startswith(userDisplayName,'a')", false, "", ""},
		{registrationFilterSchema, "userType eq 'guest' and isAdmin eq false", false, "", ""},
		{registrationFilterSchema, "systemPreferredAuthenticationMethods/any(m: m eq 'push')", false, "", ""},
		{registrationFilterSchema, "userPreferredMethodForSecondaryAuthentication eq 'push'", false, "", ""},
		{registrationFilterSchema, "isMfaCapable ne true", true, codeUnsupportedQuery, "property 'isMfaCapable' of resource 'userRegistrationDetails'"},
		{registrationFilterSchema, "not isMfaCapable eq true", true, codeUnsupportedQuery, "property 'isMfaCapable'"},
		{registrationFilterSchema, "methodsRegistered eq 'email'", false, codeUnsupportedQuery, "property 'methodsRegistered'"},
		{registrationFilterSchema, "methodsRegistered/all(x:x eq 'email')", false, codeUnsupportedQuery, "property 'methodsRegistered'"},
		{registrationFilterSchema, "methodsRegistered/any(x:startswith(x,'e'))", false, codeUnsupportedQuery, "property 'methodsRegistered'"},
		{registrationFilterSchema, "methodsRegistered/any(x:userType eq 'guest')", false, codeUnsupportedQuery, "property 'methodsRegistered'"},
		{registrationFilterSchema, "methodsRegistered/any(x:x eq true)", false, codeBadBody, "incompatible types"},
		{registrationFilterSchema, "userType/any(x:x eq 'a')", false, codeBadBody, "needs a collection"},
		{registrationFilterSchema, "endswith(userPrincipalName,'x')", true, codeUnsupportedQuery, "property 'userPrincipalName'"},
	}
	for _, tt := range tests {
		_, err := compileFilter(tt.filter, tt.schema, tt.advanced)
		if tt.code == "" {
			if err != nil {
				t.Errorf("%s (advanced %v): %v", tt.filter, tt.advanced, err)
			}
			continue
		}
		var ge *graphError
		if !errors.As(err, &ge) {
			t.Errorf("%s (advanced %v): got %v, want %s", tt.filter, tt.advanced, err, tt.code)
			continue
		}
		if ge.status != 400 || ge.code != tt.code || !strings.Contains(ge.message, tt.message) {
			t.Errorf("%s (advanced %v):\n got %d %s %q\nwant 400 %s containing %q", tt.filter, tt.advanced, ge.status, ge.code, ge.message, tt.code, tt.message)
		}
	}
}
