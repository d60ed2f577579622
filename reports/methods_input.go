package reports

import "github.com/mfactl/mfactl/methods"

// MethodsInput builds the coverage input of the methods source from a
// user (from /users, with userType and accountEnabled), whether the user
// holds a directory role, the user's method list and the user-preferred
// method of signInPreferences.
//
// It applies the registration report's rules, so that both sources give
// the same row for the same user: a hardware OATH token counts once it is
// activated (a token assigned but not activated cannot sign in; a method
// without its device is taken as activated), a Temporary Access Pass while
// it is usable (Graph's isUsable; an outstanding pass), and the default is
// kept only when a counted method can deliver it.
func MethodsInput(u methods.User, isAdmin bool, ms []methods.Method, preferred methods.DefaultMethod) UserInput {
	kept := make([]methods.Method, 0, len(ms))
	for _, m := range ms {
		switch m.Kind {
		case methods.KindHardwareOath:
			if m.Token != nil && m.Token.Status != "" && m.Token.Status != methods.TokenActivated {
				continue
			}
		case methods.KindTemporaryAccess:
			if m.IsUsable != nil && !*m.IsUsable {
				continue
			}
		}
		kept = append(kept, m)
	}
	if preferred != "" && !preferred.SupportedBy(kept) {
		preferred = ""
	}
	return UserInput{User: u, IsAdmin: isAdmin, Methods: kept, Default: preferred, Source: SourceMethods}
}
