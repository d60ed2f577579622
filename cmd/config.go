package cmd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
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
		Use:   "set <key> [<value>]",
		Short: "Set a key in the selected profile (an empty value removes it; secrets are read from standard input)",
		Long: `Set a key in the selected profile, or with --global for every profile. An empty
value removes the key. Secrets (` + strings.Join(config.SecretKeys(), ", ") + `) are never taken on
the command line, where shell history and the process list would keep them: give
only the key, and type the secret at the prompt or pipe it on standard input.`,
		Example: `  mfactl config set tenant-id contoso.onmicrosoft.com --profile contoso
  mfactl config set cloud usgov --profile contoso-gov
  mfactl config set client-secret --profile contoso          # asks for it, without echo [interactive]
  printf '%s' "$SECRET" | mfactl config set client-secret   # from a pipe [placeholder]
  mfactl config set mock true --profile lab`,
		Args: cobra.RangeArgs(1, 2),
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
			key := args[0]
			secret := slices.Contains(config.SecretKeys(), key)
			var value string
			switch {
			case secret && len(args) == 2 && args[1] != "":
				return cmdutil.FlagErrorf("%s is a secret and is not taken on the command line (shell history keeps it): run `mfactl config set %s` and type it, or pipe it on standard input", key, key)
			case secret && len(args) == 1:
				if value, err = readSecretValue(f, key); err != nil {
					return err
				}
			case len(args) == 1:
				return cmdutil.FlagErrorf("config set needs <key> <value> (an empty value \"\" removes the key)")
			default:
				value = args[1]
			}
			if key == config.KeyCurrentProfile {
				return useProfile(f, value)
			}
			if err := validateSetting(key, value); err != nil {
				return err
			}
			path := config.FilePath()
			if err := config.Set(path, profile, key, value); err != nil {
				return cmdutil.WithExit(cmdutil.ExitUsage, err, "")
			}
			where := "profile " + profile
			if profile == "" {
				where = "all profiles"
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "set %s for %s in %s\n", key, where, path)
			return nil
		},
	}
	c.Flags().BoolVar(&global, "global", false, "set the key at the top level, for every profile")
	return c
}

// readSecretValue reads a secret setting: at the terminal without echo,
// else the first line of standard input.
func readSecretValue(f *cmdutil.Factory, key string) (string, error) {
	var value string
	if f.IOStreams.CanPrompt() {
		v, err := f.IOStreams.PromptSecret(key)
		if err != nil {
			return "", err
		}
		value = v
	} else {
		line, err := bufio.NewReader(io.LimitReader(f.IOStreams.In, 64<<10)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		value = strings.TrimRight(line, "\r\n")
	}
	if value == "" {
		return "", cmdutil.FlagErrorf("no %s was given on standard input (to remove it: `mfactl config set %s \"\"`)", key, key)
	}
	return value, nil
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
	case config.KeyCloud:
		if _, err := graph.LookupCloud(value); err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
	}
	return nil
}
