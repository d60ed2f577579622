package cmd

import (
	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/methods"
)

// NewCmdWHfB builds `mfactl whfb list|remove`.
func NewCmdWHfB(f *cmdutil.Factory) *cobra.Command {
	return newCmdKindNoun(f, kindNoun{kind: methods.KindWindowsHello, use: "whfb", devices: true,
		short: "List and remove Windows Hello for Business registrations", example: "henrietta.mueller@contoso.example", device: "HM-SURFACE-7"})
}
