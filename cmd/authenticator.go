package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdAuthenticator builds `mfactl authenticator list|remove`.
func NewCmdAuthenticator(f *cmdutil.Factory) *cobra.Command {
	return newCmdKindNoun(f, kindNoun{kind: methods.KindAuthenticator, use: "authenticator", devices: true,
		short: "List and remove Microsoft Authenticator registrations", example: "adele.vance@contoso.example", device: "iPhone 15"})
}
