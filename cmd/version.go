package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/buildinfo"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
)

// VersionOptions are the inputs of `version`: only -o.
type VersionOptions struct {
	IO     *iostreams.IOStreams
	Format string
}

// Validate checks -o: version prints table, json or yaml.
func (o *VersionOptions) Validate() error {
	switch o.Format {
	case "", "table", "json", "yaml":
		return nil
	}
	return cmdutil.FlagErrorf("version supports -o table, json or yaml")
}

// NewCmdVersion prints the build version. It reads no configuration and
// builds no client, so it is instant.
func NewCmdVersion(f *cmdutil.Factory, runF func(context.Context, *VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{IO: f.IOStreams}
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the mfactl version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Format, _ = cmd.Flags().GetString("output")
			return runVerb(cmd.Context(), opts, runF, versionRun)
		},
	}
	offerOutputFormats(c, output.Table, output.JSON, output.YAML)
	return c
}

func versionRun(_ context.Context, opts *VersionOptions) error {
	info := buildinfo.Get()
	switch opts.Format {
	case "json":
		return output.WriteJSON(opts.IO.Out, info)
	case "yaml":
		return output.WriteYAML(opts.IO.Out, info)
	}
	_, err := fmt.Fprintln(opts.IO.Out, info.String())
	return err
}
