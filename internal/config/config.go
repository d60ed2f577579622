// Package config loads mfactl's settings with Viper from, in order of
// precedence: command-line flags, MFACTL_* environment variables, the selected
// profile in the config file, and the file's top-level keys.
//
// The file lives at $MFACTL_CONFIG or <user config dir>/mfactl/config.yaml:
//
//	current-profile: lab
//	output: table
//	profiles:
//	  contoso:
//	    tenant-id: contoso.onmicrosoft.com
//	    client-id: 00000000-0000-0000-0000-000000000000
//	    auth: device-code
//	  lab:
//	    mock: true
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/mfactl/mfactl/internal/atomicfile"
)

// Keys mfactl reads. Each can be a flag (same name), an environment variable
// (MFACTL_ + upper case, dashes as underscores) or a config file key.
const (
	KeyMock             = "mock"
	KeyMockState        = "mock-state"
	KeyEndpoint         = "endpoint"
	KeyCACert           = "ca-cert"
	KeyToken            = "token"
	KeyAuth             = "auth"
	KeyTenantID         = "tenant-id"
	KeyClientID         = "client-id"
	KeyClientSecret     = "client-secret"
	KeyCertificate      = "client-certificate"
	KeyCertPassword     = "client-certificate-password"
	KeyRedirectURL      = "redirect-url"
	KeyManagedIdentity  = "managed-identity-client-id"
	KeyCloud            = "cloud"
	KeyOutput           = "output"
	KeyDebug            = "debug"
	KeyAuditLog         = "audit-log"
	keyProfile          = "profile"
	KeyCurrentProfile   = "current-profile"
	keyProfiles         = "profiles"
	DefaultProfile      = "default"
	envPrefix           = "MFACTL"
	configFileName      = "config.yaml"
	appDirName          = "mfactl"
	defaultMockFileName = "mock-state.db"
)

// Keys lists every settable key, for `config show` and validation.
var Keys = []string{
	KeyMock, KeyMockState, KeyEndpoint, KeyCACert, KeyToken, KeyAuth, KeyTenantID, KeyClientID,
	KeyClientSecret, KeyCertificate, KeyCertPassword, KeyRedirectURL, KeyManagedIdentity, KeyCloud,
	KeyOutput, KeyDebug, KeyAuditLog,
}

// secretKeys are redacted by Redacted and never taken on a command line.
var secretKeys = []string{KeyToken, KeyClientSecret, KeyCertPassword}

// SecretKeys lists the keys that hold secrets.
func SecretKeys() []string { return slices.Clone(secretKeys) }

// ExposedSecrets reports whether the config file holds a secret and can be
// read by other users (group or world permission bits), with its mode. On
// Windows, where permission bits say nothing, it is always false.
func (c *Config) ExposedSecrets() (bool, fs.FileMode) {
	if runtime.GOOS == "windows" || c.Path == "" {
		return false, 0
	}
	st, err := os.Stat(c.Path)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return false, 0
	}
	file, err := readFile(c.Path)
	if err != nil {
		return false, 0
	}
	if holdsSecret(file) {
		return true, st.Mode().Perm()
	}
	return false, 0
}

func holdsSecret(m map[string]any) bool {
	for k, v := range m {
		if slices.Contains(secretKeys, k) {
			return true
		}
		if sub, ok := v.(map[string]any); ok && holdsSecret(sub) {
			return true
		}
	}
	return false
}

// Config is the effective configuration of one run.
type Config struct {
	// Profile is the selected profile name; Path the config file (which
	// may not exist).
	Profile string
	Path    string

	Mock      bool
	MockState string
	// MockStateDefault is set when MockState is the default file under the
	// state directory (no flag, variable or key named one).
	MockStateDefault bool
	Endpoint         string
	CACert           string // PEM file trusted besides the system roots (a TLS-inspecting proxy, mock serve --tls)
	Token            string
	Output           string
	Debug            bool
	AuditLog         string

	Auth Auth

	v *viper.Viper
}

// Auth holds the settings for real Microsoft Graph sign-in.
type Auth struct {
	Method            string
	TenantID          string
	ClientID          string
	ClientSecret      string
	CertificatePath   string
	CertPassword      string
	RedirectURL       string
	ManagedIdentityID string
	// Cloud is the Graph deployment: global, usgov, usgovdod or china.
	Cloud string
}

// Load reads the configuration. flags are the command's parsed flags (may be
// nil); only flags the user set override the environment and the file.
func Load(flags *pflag.FlagSet) (*Config, error) {
	path := FilePath()
	file, err := readFile(path)
	if err != nil {
		return nil, err
	}

	v := viper.New()
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_"))
	v.AutomaticEnv()
	for _, k := range append(slices.Clone(Keys), keyProfile) {
		// AutomaticEnv only applies to keys Viper knows about.
		_ = v.BindEnv(k)
	}
	if flags != nil {
		for _, k := range append(slices.Clone(Keys), keyProfile) {
			if f := flags.Lookup(k); f != nil {
				if err := v.BindPFlag(k, f); err != nil {
					return nil, err
				}
			}
		}
	}

	profile := v.GetString(keyProfile)
	if profile == "" {
		if s, ok := file[KeyCurrentProfile].(string); ok && s != "" {
			profile = s
		} else {
			profile = DefaultProfile
		}
	}
	layer, err := profileLayer(file, profile, path)
	if err != nil {
		return nil, err
	}
	if err := v.MergeConfigMap(layer); err != nil {
		return nil, err
	}
	if err := checkBools(flags, layer, path, profile); err != nil {
		return nil, err
	}

	c := &Config{
		Profile:   profile,
		Path:      path,
		Mock:      v.GetBool(KeyMock),
		MockState: v.GetString(KeyMockState),
		Endpoint:  v.GetString(KeyEndpoint),
		CACert:    v.GetString(KeyCACert),
		Token:     v.GetString(KeyToken),
		Output:    v.GetString(KeyOutput),
		Debug:     v.GetBool(KeyDebug),
		AuditLog:  v.GetString(KeyAuditLog),
		Auth: Auth{
			Method:            v.GetString(KeyAuth),
			TenantID:          v.GetString(KeyTenantID),
			ClientID:          v.GetString(KeyClientID),
			ClientSecret:      v.GetString(KeyClientSecret),
			CertificatePath:   v.GetString(KeyCertificate),
			CertPassword:      v.GetString(KeyCertPassword),
			RedirectURL:       v.GetString(KeyRedirectURL),
			ManagedIdentityID: v.GetString(KeyManagedIdentity),
			Cloud:             v.GetString(KeyCloud),
		},
		v: v,
	}
	if c.MockState == "" {
		c.MockState = filepath.Join(StateDir(), defaultMockFileName)
		c.MockStateDefault = true
	}
	return c, nil
}

// boolKeys are the settings that are booleans.
var boolKeys = []string{KeyMock, KeyDebug}

// checkBools refuses a boolean setting whose value is not a boolean: Viper
// reads "yes please" as false, which would silently run against real Graph
// instead of the mock. The value that wins is checked where it comes from:
// a flag (parsed by its own type), the MFACTL_ variable, else the file.
func checkBools(flags *pflag.FlagSet, layer map[string]any, path, profile string) error {
	for _, k := range boolKeys {
		if flags != nil {
			if f := flags.Lookup(k); f != nil && f.Changed {
				continue
			}
		}
		env := envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(k, "-", "_"))
		if val, ok := os.LookupEnv(env); ok {
			if _, err := ParseBool(val); err != nil {
				return fmt.Errorf("%s=%q is not a boolean (use true or false, 1 or 0)", env, val)
			}
			continue
		}
		val, ok := layer[k]
		if !ok || val == nil {
			continue
		}
		if _, err := boolValue(val); err != nil {
			return fmt.Errorf("config %s (profile %s): %s: %v is not a boolean (use true or false)", path, profile, k, quoteValue(val))
		}
	}
	return nil
}

// ParseBool reads a boolean setting as strconv.ParseBool does (true,
// false, 1, 0, t, f in any case); anything else is an error.
func ParseBool(s string) (bool, error) {
	return strconv.ParseBool(strings.TrimSpace(s))
}

func boolValue(v any) (bool, error) {
	switch b := v.(type) {
	case bool:
		return b, nil
	case string:
		return ParseBool(b)
	case int:
		if b == 0 || b == 1 {
			return b == 1, nil
		}
	}
	return false, fmt.Errorf("not a boolean: %v", v)
}

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// SelectedProfile names the profile a run selects, as Load does: --profile,
// MFACTL_PROFILE, the file's current-profile, else "default". Unlike Load it
// does not need the profile to be defined, so that `config set --profile NEW`
// can create it.
func SelectedProfile(flags *pflag.FlagSet) (string, error) {
	file, err := readFile(FilePath())
	if err != nil {
		return "", err
	}
	if flags != nil {
		if f := flags.Lookup(keyProfile); f != nil && f.Changed && f.Value.String() != "" {
			return f.Value.String(), nil
		}
	}
	if p := os.Getenv(envPrefix + "_PROFILE"); p != "" {
		return p, nil
	}
	if p, ok := file[KeyCurrentProfile].(string); ok && p != "" {
		return p, nil
	}
	return DefaultProfile, nil
}

// Profiles lists the profiles the file at path defines, sorted. "default"
// is always usable, defined or not.
func Profiles(path string) ([]string, error) {
	file, err := readFile(path)
	if err != nil {
		return nil, err
	}
	profiles, _ := file[keyProfiles].(map[string]any)
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// profileLayer merges the file's top-level keys with the selected profile's.
func profileLayer(file map[string]any, profile, path string) (map[string]any, error) {
	layer := map[string]any{}
	for k, val := range file {
		if k == keyProfiles || k == KeyCurrentProfile {
			continue
		}
		layer[k] = val
	}
	profiles, _ := file[keyProfiles].(map[string]any)
	p, ok := profiles[profile]
	if !ok {
		if profile != DefaultProfile {
			return nil, fmt.Errorf("profile %q is not defined in %s (known: %s)", profile, path, strings.Join(profileNames(profiles), ", "))
		}
		return layer, nil
	}
	pm, ok := p.(map[string]any)
	if !ok && p != nil {
		return nil, fmt.Errorf("profile %q in %s must be a mapping of keys to values", profile, path)
	}
	for k, val := range pm {
		layer[k] = val
	}
	return layer, nil
}

func profileNames(profiles map[string]any) []string {
	names := []string{}
	for n := range profiles {
		names = append(names, n)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return []string{"none"}
	}
	return names
}

func readFile(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	m := map[string]any{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("config %s is not valid YAML: %w", path, err)
	}
	for k := range m {
		if k != keyProfiles && k != KeyCurrentProfile && !slices.Contains(Keys, k) {
			return nil, fmt.Errorf("config %s: unknown key %q (known: %s)", path, k, strings.Join(Keys, ", "))
		}
	}
	return m, nil
}

// Get returns the effective value of a key as a string.
func (c *Config) Get(key string) string { return c.v.GetString(key) }

// Redacted returns the effective settings with secrets masked, for display.
func (c *Config) Redacted() map[string]string {
	out := map[string]string{}
	for _, k := range Keys {
		val := c.v.GetString(k)
		if k == KeyMockState {
			val = c.MockState
		}
		if val != "" && slices.Contains(secretKeys, k) {
			val = "(set, hidden)"
		}
		out[k] = val
	}
	return out
}

// Set writes key=value into the config file, in the given profile (or at the
// top level when profile is empty), keeping the file 0600.
func Set(path, profile, key, value string) error {
	if !slices.Contains(Keys, key) && key != KeyCurrentProfile {
		return fmt.Errorf("unknown key %q (known: %s)", key, strings.Join(Keys, ", "))
	}
	file, err := readFile(path)
	if err != nil {
		return err
	}
	target := file
	if profile != "" && key != KeyCurrentProfile {
		profiles, _ := file[keyProfiles].(map[string]any)
		if profiles == nil {
			profiles = map[string]any{}
			file[keyProfiles] = profiles
		}
		p, _ := profiles[profile].(map[string]any)
		if p == nil {
			p = map[string]any{}
			profiles[profile] = p
		}
		target = p
	}
	if value == "" {
		delete(target, key)
	} else {
		target[key] = value
	}
	b, err := yaml.Marshal(file)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, b, 0o600)
}

// FilePath is the config file: $MFACTL_CONFIG, or config.yaml in the user's
// config directory.
func FilePath() string {
	if p := os.Getenv("MFACTL_CONFIG"); p != "" {
		return p
	}
	return filepath.Join(ConfigDir(), configFileName)
}

// ConfigDir is <user config dir>/mfactl.
func ConfigDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = filepath.Join(os.TempDir(), "mfactl-config")
	}
	return filepath.Join(dir, appDirName)
}

// StateDir is where mfactl keeps state that is not configuration: the
// embedded mock's store, the authentication record, the audit log.
// $XDG_STATE_HOME/mfactl (default ~/.local/state/mfactl) on Unix,
// ~/Library/Application Support/mfactl on macOS, %LocalAppData%\mfactl on Windows.
func StateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && runtime.GOOS != "windows" {
		return filepath.Join(d, appDirName)
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, appDirName)
		}
	case "darwin":
		if d, err := os.UserConfigDir(); err == nil {
			return filepath.Join(d, appDirName, "state")
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", appDirName)
	}
	return filepath.Join(os.TempDir(), "mfactl-state")
}
