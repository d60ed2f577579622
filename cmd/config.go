package cmd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/config"
	"github.com/mfactl/mfactl/internal/output"
)

// NewCmdConfig groups the configuration commands.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "config <command>",
		Short: "Show and change mfactl's settings and profiles",
		Long: `Settings come from, in order of precedence: flags, MFACTL_* environment variables
(MFACTL_ENDPOINT, MFACTL_TOKEN, MFACTL_MOCK, MFACTL_TENANT_ID, ...), the selected
profile in the config file, and the file's top-level keys. Keys: ` + strings.Join(config.Keys, ", ") + `.`,
	}
	c.AddCommand(newCmdConfigShow(f), newCmdConfigSet(f), newCmdConfigUse(f), newCmdConfigPath(f))
	return c
}

type settingsView map[string]string

func (s settingsView) Table() output.TableData {
	t := output.TableData{Header: []string{"key", "value"}}
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Rows = append(t.Rows, []string{k, dash(s[k])})
	}
	return t
}

func newCmdConfigShow(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show the effective settings (secrets hidden)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.Config()
			if err != nil {
				return err
			}
			p, err := f.Printer()
			if err != nil {
				return err
			}
			s := settingsView(cfg.Redacted())
			s["profile"] = cfg.Profile
			s["config-file"] = cfg.Path
			return p.Print(s)
		},
	}
}

func newCmdConfigSet(f *cmdutil.Factory) *cobra.Command {
	var global bool
	c := &cobra.Command{
		Use:   "set <key> <value>",
		Short: "Set a key in the selected profile (an empty value removes it)",
		Example: `  mfactl config set tenant-id contoso.onmicrosoft.com --profile contoso
  mfactl config set mock true --profile lab`,
		Args: exactArgs(2, "config set needs <key> <value>"),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return config.Keys, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			// Not f.Config(): that refuses a profile the file does not
			// define yet, which is how `config set --profile NEW` creates one.
			profile, err := config.SelectedProfile(cmd.Flags())
			if err != nil {
				return err
			}
			if global {
				profile = ""
			}
			if args[0] == config.KeyCurrentProfile {
				return useProfile(f, args[1])
			}
			if err := validateSetting(args[0], args[1]); err != nil {
				return err
			}
			path := config.FilePath()
			if err := config.Set(path, profile, args[0], args[1]); err != nil {
				return cmdutil.WithExit(cmdutil.ExitUsage, err, "")
			}
			where := "profile " + profile
			if profile == "" {
				where = "all profiles"
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "set %s for %s in %s\n", args[0], where, path)
			return nil
		},
	}
	c.Flags().BoolVar(&global, "global", false, "set the key at the top level, for every profile")
	return c
}

func newCmdConfigUse(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "use <profile>",
		Short: "Make a profile the current one",
		Args:  exactArgs(1, "config use needs a <profile>"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return useProfile(f, args[0])
		},
	}
}

// useProfile makes name the current profile (`config use`, and
// `config set current-profile`), refusing one the file does not define:
// an undefined current profile would stop every later command, config
// show and config set included.
func useProfile(f *cmdutil.Factory, name string) error {
	path := config.FilePath()
	if name != config.DefaultProfile && name != "" {
		known, err := config.Profiles(path)
		if err != nil {
			return err
		}
		if !slices.Contains(known, name) {
			if !slices.Contains(known, config.DefaultProfile) {
				known = append([]string{config.DefaultProfile}, known...)
			}
			return cmdutil.WithExit(cmdutil.ExitUsage,
				fmt.Errorf("profile %q is not defined in %s (known: %s)", name, path, strings.Join(known, ", ")),
				fmt.Sprintf("create it with `mfactl config set <key> <value> --profile %s` first", name))
		}
	}
	if err := config.Set(path, "", config.KeyCurrentProfile, name); err != nil {
		return cmdutil.WithExit(cmdutil.ExitUsage, err, "")
	}
	if name == "" {
		name = config.DefaultProfile
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "current profile is now %s\n", name)
	return nil
}

func newCmdConfigPath(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "path",
		Short: "Print the config file's path",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(f.IOStreams.Out, config.FilePath())
			return err
		},
	}
}

// validateSetting refuses, before it is written, a value that would make
// every later command fail to start.
func validateSetting(key, value string) error {
	if value == "" {
		return nil // removes the key
	}
	switch key {
	case config.KeyOutput:
		if _, err := output.ParseFormat(value); err != nil {
			return cmdutil.FlagErrorf("output: %v", err)
		}
	case config.KeyMock, config.KeyDebug:
		if _, err := config.ParseBool(value); err != nil {
			return cmdutil.FlagErrorf("%s takes true or false, not %q", key, value)
		}
	case config.KeyAuth:
		if !slices.Contains(graph.AuthMethods, value) {
			return cmdutil.FlagErrorf("unknown auth method %q (want one of %s)", value, strings.Join(graph.AuthMethods, ", "))
		}
	}
	return nil
}
