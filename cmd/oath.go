package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdOath builds `mfactl oath list|remove` (software OATH tokens).
func NewCmdOath(f *cmdutil.Factory) *cobra.Command {
	return newCmdKindNoun(f, kindNoun{kind: methods.KindSoftwareOath, use: "oath",
		short: "List and remove software OATH tokens (third-party authenticator apps)", example: "nestor.wilke@contoso.example"})
}
