package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MFACTL_CONFIG", path)
	return path
}

func flags(args ...string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	fs.Bool("mock", false, "")
	fs.String("endpoint", "", "")
	fs.String("profile", "", "")
	fs.StringP("output", "o", "", "")
	if err := fs.Parse(args); err != nil {
		panic(err)
	}
	return fs
}

const sample = `
output: yaml
current-profile: contoso
profiles:
  contoso:
    endpoint: https://file.example
    tenant-id: contoso.onmicrosoft.com
  lab:
    mock: true
    output: csv
`

func TestPrecedenceFlagOverEnvOverFile(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		endpoint string
		output   string
	}{
		{"file profile", nil, nil, "https://file.example", "yaml"},
		{"env over file", map[string]string{"MFACTL_ENDPOINT": "https://env.example", "MFACTL_OUTPUT": "json"}, nil, "https://env.example", "json"},
		{"flag over env", map[string]string{"MFACTL_ENDPOINT": "https://env.example"}, []string{"--endpoint", "https://flag.example", "-o", "table"}, "https://flag.example", "table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeConfig(t, sample)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			cfg, err := Load(flags(tt.args...))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Endpoint != tt.endpoint || cfg.Output != tt.output {
				t.Errorf("endpoint %q output %q, want %q %q", cfg.Endpoint, cfg.Output, tt.endpoint, tt.output)
			}
			if cfg.Profile != "contoso" || cfg.Auth.TenantID != "contoso.onmicrosoft.com" {
				t.Errorf("profile %q tenant %q", cfg.Profile, cfg.Auth.TenantID)
			}
		})
	}
}

func TestProfileSelection(t *testing.T) {
	writeConfig(t, sample)
	cfg, err := Load(flags("--profile", "lab"))
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Mock || cfg.Output != "csv" || cfg.Endpoint != "" {
		t.Errorf("lab profile: mock %v output %q endpoint %q", cfg.Mock, cfg.Output, cfg.Endpoint)
	}
	t.Setenv("MFACTL_PROFILE", "lab")
	if cfg, _ := Load(flags()); !cfg.Mock {
		t.Error("MFACTL_PROFILE not honoured")
	}
	t.Setenv("MFACTL_MOCK", "0")
	if cfg, _ := Load(flags()); cfg.Mock {
		t.Error("MFACTL_MOCK=0 must override the profile's mock: true")
	}
	if _, err := Load(flags("--profile", "nope")); err == nil || !strings.Contains(err.Error(), "contoso, lab") {
		t.Errorf("unknown profile: %v", err)
	}
}

func TestNoFileIsFineAndDefaultsApply(t *testing.T) {
	t.Setenv("MFACTL_CONFIG", filepath.Join(t.TempDir(), "absent.yaml"))
	t.Setenv("XDG_STATE_HOME", "/tmp/xdg-state")
	cfg, err := Load(flags())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Profile != DefaultProfile || cfg.Mock {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.MockState != "/tmp/xdg-state/mfactl/mock-state.db" {
		t.Errorf("mock state %q", cfg.MockState)
	}
}

func TestBadFilesAreReported(t *testing.T) {
	for _, body := range []string{"endpoint: [unclosed", "colour: red\n", "profiles:\n  p: 3\n"} {
		writeConfig(t, body)
		_, err := Load(flags("--profile", "p"))
		if err == nil {
			t.Errorf("%q: no error", body)
		}
	}
}

func TestSetWritesProfileKeysAtomically(t *testing.T) {
	path := writeConfig(t, sample)
	if err := Set(path, "lab", "endpoint", "http://127.0.0.1:8080"); err != nil {
		t.Fatal(err)
	}
	if err := Set(path, "", "current-profile", "lab"); err != nil {
		t.Fatal(err)
	}
	if err := Set(path, "lab", "colour", "red"); err == nil {
		t.Error("unknown key accepted")
	}
	cfg, err := Load(flags())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Profile != "lab" || cfg.Endpoint != "http://127.0.0.1:8080" || !cfg.Mock {
		t.Errorf("after set: %+v", cfg)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v", st.Mode().Perm())
	}
}

func TestRedactedHidesSecrets(t *testing.T) {
	writeConfig(t, "")
	t.Setenv("MFACTL_TOKEN", "s3cret")
	t.Setenv("MFACTL_CLIENT_SECRET", "also-secret")
	cfg, _ := Load(flags())
	r := cfg.Redacted()
	if r["token"] != "(set, hidden)" || r["client-secret"] != "(set, hidden)" {
		t.Errorf("secrets shown: %v", r)
	}
}

func TestCACertFromEnvAndProfile(t *testing.T) {
	writeConfig(t, "profiles:\n  lab:\n    endpoint: https://127.0.0.1:8443\n    ca-cert: /etc/mfactl/mock.pem\n")
	t.Setenv("MFACTL_PROFILE", "lab")
	cfg, err := Load(flags())
	if err != nil || cfg.CACert != "/etc/mfactl/mock.pem" {
		t.Fatalf("from profile: %q %v", cfg.CACert, err)
	}
	t.Setenv("MFACTL_CA_CERT", "/tmp/other.pem")
	if cfg, err = Load(flags()); err != nil || cfg.CACert != "/tmp/other.pem" || cfg.Redacted()[KeyCACert] != "/tmp/other.pem" {
		t.Fatalf("env over profile: %q %v", cfg.CACert, err)
	}
}

func TestSelectedProfileNeedsNoDefinition(t *testing.T) {
	path := writeConfig(t, sample)
	for _, tt := range []struct {
		env  string
		args []string
		want string
	}{
		{"", nil, "contoso"},
		{"lab", nil, "lab"},
		{"lab", []string{"--profile", "new"}, "new"},
	} {
		t.Setenv("MFACTL_PROFILE", tt.env)
		if got, err := SelectedProfile(flags(tt.args...)); err != nil || got != tt.want {
			t.Errorf("env %q args %v: %q %v, want %q", tt.env, tt.args, got, err, tt.want)
		}
	}
	if names, err := Profiles(path); err != nil || strings.Join(names, ",") != "contoso,lab" {
		t.Errorf("profiles %v %v", names, err)
	}
	t.Setenv("MFACTL_PROFILE", "")
	writeConfig(t, "")
	if got, _ := SelectedProfile(flags()); got != DefaultProfile {
		t.Errorf("no file: %q", got)
	}
}
