package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdFido2 builds `mfactl fido2 list|remove`.
func NewCmdFido2(f *cmdutil.Factory) *cobra.Command {
	return newCmdKindNoun(f, kindNoun{kind: methods.KindFido2, use: "fido2", devices: true,
		short: "List and remove FIDO2 security keys and passkeys", example: "megan.bowen@contoso.example", device: "Feitian ePass"})
}
