package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/methods"
)

type cobraCommand = cobra.Command

type methodFixture string

func toMethods(fs []methodFixture) []methods.Method {
	out := make([]methods.Method, len(fs))
	for i, f := range fs {
		out[i] = methods.Method{ID: string(f), Kind: methods.Kind(f)}
	}
	return out
}

func userFixture() methods.User {
	return methods.User{ID: "u1", UserPrincipalName: "u1@contoso.example"}
}
