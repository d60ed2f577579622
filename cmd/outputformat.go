package cmd

import (
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/output"
)

// annotationOutputFormats lists the -o formats a command offers, comma
// separated, when they are not the printer's default ones (table, json,
// yaml, csv): `reset` adds md. annotationOwnOutput marks a command that
// reads -o itself (the reports, whose formats include html) before any
// request.
const (
	annotationOutputFormats = "mfactl/output-formats"
	annotationOwnOutput     = "mfactl/own-output"
)

// defaultOutputFormats are what every command prints through the printer.
var defaultOutputFormats = []string{string(output.Table), string(output.JSON), string(output.YAML), string(output.CSV)}

// offerOutputFormats declares the -o formats c offers.
func offerOutputFormats(c *cobra.Command, formats ...output.Format) {
	names := make([]string, len(formats))
	for i, f := range formats {
		names[i] = string(f)
	}
	annotate(c, annotationOutputFormats, strings.Join(names, ","))
}

// readsOwnOutput marks c and its subcommands as validating -o themselves.
func readsOwnOutput(c *cobra.Command) {
	annotate(c, annotationOwnOutput, "true")
	for _, sub := range c.Commands() {
		readsOwnOutput(sub)
	}
}

func annotate(c *cobra.Command, key, value string) {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[key] = value
}

// outputFormatsOf returns the -o formats c offers.
func outputFormatsOf(c *cobra.Command) []string {
	if v := c.Annotations[annotationOutputFormats]; v != "" {
		return strings.Split(v, ",")
	}
	return defaultOutputFormats
}

// checkOutputFormat is the one check of -o for every command, run before
// the command does anything: an unknown format, or one this command does
// not offer (md where it has no Markdown form), is a usage error (exit 2)
// and no request is sent.
func checkOutputFormat(f *cmdutil.Factory, c *cobra.Command) error {
	if c.Annotations[annotationOwnOutput] != "" {
		return nil
	}
	fl := c.Flags().Lookup("output")
	if fl == nil {
		return nil
	}
	cfg, err := f.Config()
	if err != nil {
		// A damaged configuration is reported by the commands that need it
		// (`config set` must still run, to repair it).
		return nil
	}
	if cfg.Output == "" {
		return nil
	}
	format, err := output.ParseFormat(cfg.Output)
	if err != nil {
		return cmdutil.FlagErrorf("-o: %v", err)
	}
	offered := outputFormatsOf(c)
	if !slices.Contains(offered, string(format)) {
		return cmdutil.FlagErrorf("-o %s is not a format of %q (use one of %s)", format, c.CommandPath(), strings.Join(offered, ", "))
	}
	return nil
}
