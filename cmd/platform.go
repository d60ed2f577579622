package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdPlatform builds `mfactl platform list|remove`.
func NewCmdPlatform(f *cmdutil.Factory) *cobra.Command {
	return newCmdKindNoun(f, kindNoun{kind: methods.KindPlatformCredential, use: "platform", devices: true,
		short: "List and remove platform credentials (macOS Platform SSO)", example: "henrietta.mueller@contoso.example", device: "HM-MacBook-Pro"})
}
