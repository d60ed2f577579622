package reports

import "github.com/mfactl/mfactl/methods"

// MethodsInput builds the coverage input of the methods source from a
// user (from /users, with userType and accountEnabled), whether the user
// holds a directory role, the user's method list and the user-preferred
// method of signInPreferences.
//
// It counts the methods methods.Method.Usable counts, which are the
// registration report's rules, so that both sources (and `user show`) give
// the same row for the same user; the default is kept only when a counted
// method can deliver it (methods.DefaultMethod.Effective).
func MethodsInput(u methods.User, isAdmin bool, ms []methods.Method, preferred methods.DefaultMethod) UserInput {
	return UserInput{User: u, IsAdmin: isAdmin, Methods: methods.UsableMethods(ms), Default: preferred.Effective(ms), Source: SourceMethods}
}
