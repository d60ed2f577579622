package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/buildinfo"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/output"
)

// NewCmdVersion prints the build version. It reads no configuration and
// builds no client, so it is instant.
func NewCmdVersion(f *cmdutil.Factory) *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the mfactl version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := buildinfo.Get()
			format, _ = cmd.Flags().GetString("output")
			switch format {
			case "json":
				return output.WriteJSON(f.IOStreams.Out, info)
			case "yaml":
				return output.WriteYAML(f.IOStreams.Out, info)
			case "", "table":
				_, err := fmt.Fprintln(f.IOStreams.Out, info.String())
				return err
			}
			return cmdutil.FlagErrorf("version supports -o table, json or yaml")
		},
	}
	offerOutputFormats(c, output.Table, output.JSON, output.YAML)
	return c
}
