package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The release is built by GoReleaser from .goreleaser.yaml. `goreleaser
// check` cannot run in CI here (the module proxy serves GoReleaser only as
// an unapproved copy; see docs/development.md), so this test checks what it
// would, and what the release promises: the file has only the fields
// GoReleaser v2 knows that this release uses, every target OS is built by
// .ci/run, the -X flags name variables that exist, the before hooks run
// programs of this module with flags they define, and the archives carry
// the man pages and completions those hooks write.

const moduleRoot = "../.."

// releaseConfig is the part of GoReleaser v2's configuration this release
// uses. It is decoded strictly: a misspelt key, or a key this test does not
// know yet, fails the test (add the field here once GoReleaser's
// documentation says it is one).
type releaseConfig struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Before      struct {
		Hooks []string `yaml:"hooks"`
	} `yaml:"before"`
	Builds []struct {
		ID      string   `yaml:"id"`
		Main    string   `yaml:"main"`
		Binary  string   `yaml:"binary"`
		Env     []string `yaml:"env"`
		GOOS    []string `yaml:"goos"`
		GOARCH  []string `yaml:"goarch"`
		Flags   []string `yaml:"flags"`
		Ldflags []string `yaml:"ldflags"`
	} `yaml:"builds"`
	Archives []struct {
		ID              string   `yaml:"id"`
		IDs             []string `yaml:"ids"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			GOOS    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		NameTemplate string   `yaml:"name_template"`
		Files        []string `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	Snapshot struct {
		VersionTemplate string `yaml:"version_template"`
	} `yaml:"snapshot"`
	Changelog struct {
		Sort    string `yaml:"sort"`
		Filters struct {
			Exclude []string `yaml:"exclude"`
		} `yaml:"filters"`
	} `yaml:"changelog"`
}

func readReleaseConfig(t *testing.T) (releaseConfig, []byte) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(moduleRoot, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg releaseConfig
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	return cfg, raw
}

func TestReleaseConfig(t *testing.T) {
	cfg, raw := readReleaseConfig(t)
	if cfg.Version != 2 || cfg.ProjectName != "mfactl" {
		t.Errorf("version %d, project_name %q: want GoReleaser v2's format and mfactl", cfg.Version, cfg.ProjectName)
	}

	// Templates use only the fields and functions GoReleaser documents.
	known := []string{".Version", ".ShortCommit", ".Date", ".CommitTimestamp", ".ProjectName", ".Os", ".Arch", "incpatch"}
	for _, m := range regexp.MustCompile(`{{\s*([^}]*?)\s*}}`).FindAllStringSubmatch(string(raw), -1) {
		for _, word := range strings.Fields(m[1]) {
			if !slices.Contains(known, word) {
				t.Errorf("template {{ %s }}: %s is not one of the template words this release uses (%s)", m[1], word, strings.Join(known, " "))
			}
		}
	}

	buildIDs := map[string]bool{}
	targets := map[string]bool{}
	for _, b := range cfg.Builds {
		buildIDs[b.ID] = true
		if st, err := os.Stat(filepath.Join(moduleRoot, b.Main, "main.go")); err != nil || st.IsDir() {
			t.Errorf("build %s: main %s has no main.go", b.ID, b.Main)
		}
		if !slices.Contains(b.Env, "CGO_ENABLED=0") {
			t.Errorf("build %s: CGO must be off (CI cross-builds with CGO_ENABLED=0)", b.ID)
		}
		for _, goos := range b.GOOS {
			for _, goarch := range b.GOARCH {
				targets[goos+"/"+goarch] = true
			}
		}
		checkLdflags(t, b.ID, b.Ldflags)
	}

	// .ci/run builds a target of every OS the release ships (its tests
	// build linux/amd64), so a Windows or macOS download is known to build.
	ci := ciTargets(t)
	for target := range targets {
		goos := strings.Split(target, "/")[0]
		if !slices.ContainsFunc(ci, func(c string) bool { return strings.HasPrefix(c, goos+"/") }) {
			t.Errorf("the release ships %s, but .ci/run builds no %s target (it builds %s)", target, goos, strings.Join(ci, ", "))
		}
	}
	for _, c := range ci {
		if !targets[c] {
			t.Errorf(".ci/run builds %s, which the release does not ship", c)
		}
	}

	// The before hooks run programs of this module with flags they define,
	// and the archives carry what they write.
	written := checkHooks(t, cfg.Before.Hooks)
	for _, a := range cfg.Archives {
		for _, id := range a.IDs {
			if !buildIDs[id] {
				t.Errorf("archive %s packs build %s, which is not a build id", a.ID, id)
			}
		}
		for _, f := range append(slices.Clone(a.Formats), formatsOf(a.FormatOverrides)...) {
			if !slices.Contains([]string{"tar.gz", "tgz", "tar.xz", "txz", "tar.zst", "tar", "gz", "zip", "binary"}, f) {
				t.Errorf("archive %s: %q is not a GoReleaser archive format", a.ID, f)
			}
		}
		for _, dir := range written {
			if !slices.ContainsFunc(a.Files, func(g string) bool { return filepath.Dir(g) == dir }) {
				t.Errorf("archive %s does not pack %s/*, which a before hook writes", a.ID, dir)
			}
		}
		for _, g := range a.Files {
			if slices.Contains(written, filepath.Dir(g)) {
				continue
			}
			if m, _ := filepath.Glob(filepath.Join(moduleRoot, strings.ReplaceAll(g, "**/", ""))); len(m) == 0 {
				t.Errorf("archive %s: %s matches no file of the repository", a.ID, g)
			}
		}
	}
	if !slices.Contains([]string{"sha256", "sha512", "sha1", "crc32", "md5", "sha224", "sha384", "blake2b", "blake2s", "blake3"}, cfg.Checksum.Algorithm) {
		t.Errorf("checksum algorithm %q is not one GoReleaser offers", cfg.Checksum.Algorithm)
	}
}

func formatsOf(overrides []struct {
	GOOS    string   `yaml:"goos"`
	Formats []string `yaml:"formats"`
}) []string {
	var out []string
	for _, o := range overrides {
		out = append(out, o.Formats...)
	}
	return out
}

// checkLdflags checks that every -X names a package-level string variable
// that exists.
func checkLdflags(t *testing.T, build string, ldflags []string) {
	t.Helper()
	for _, m := range regexp.MustCompile(`-X\s+(\S+)\.(\w+)=`).FindAllStringSubmatch(strings.Join(ldflags, " "), -1) {
		pkg, name := m[1], m[2]
		dir := filepath.Join(moduleRoot, strings.TrimPrefix(pkg, "github.com/mfactl/mfactl/"))
		if !stringVarIn(t, dir, name) {
			t.Errorf("build %s: -X %s.%s names no string variable of %s", build, pkg, name, dir)
		}
	}
}

func stringVarIn(t *testing.T, dir, name string) bool {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if n.Name != name {
						continue
					}
					if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "string" {
						return true
					}
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							return true
						}
					}
				}
			}
		}
	}
	return false
}

// ciTargets reads the GOOS/GOARCH list .ci/run cross-builds.
func ciTargets(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(moduleRoot, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^for target in ([^;]+);`).FindSubmatch(raw)
	if m == nil {
		t.Fatal(`.ci/run has no "for target in ...;" loop of release targets`)
	}
	targets := strings.Fields(string(m[1]))
	// The tests build and run the host's target.
	return append(targets, "linux/amd64")
}

// checkHooks checks each before hook: go commands only, and a `go run` of
// this module's mfactl-docs with flags it defines, run here to prove the
// directories it writes are not empty. It returns those directories.
func checkHooks(t *testing.T, hooks []string) []string {
	t.Helper()
	var written []string
	for _, h := range hooks {
		cmdline := strings.TrimSuffix(strings.TrimPrefix(h, "sh -c '"), "'")
		cmdline = regexp.MustCompile(`{{[^}]*}}`).ReplaceAllString(cmdline, "T") // a template is one word
		fields := strings.Fields(cmdline)
		for len(fields) > 0 && strings.Contains(fields[0], "=") {
			fields = fields[1:] // VAR=value before the command
		}
		switch {
		case len(fields) >= 2 && fields[0] == "go" && slices.Contains([]string{"mod", "vet", "build", "generate"}, fields[1]):
		case len(fields) >= 3 && fields[0] == "go" && fields[1] == "run" && fields[2] == "./cmd/mfactl-docs":
			man, comp := hookFlag(t, fields[3:], "-man"), hookFlag(t, fields[3:], "-completions")
			if man == "" || comp == "" {
				t.Errorf("hook %q: the release archives need -man DIR and -completions DIR", h)
				continue
			}
			tmp := t.TempDir()
			if err := run("", filepath.Join(tmp, "man"), filepath.Join(tmp, "completions"), "2026-01-01"); err != nil {
				t.Fatalf("hook %q: %v", h, err)
			}
			for _, d := range []string{"man", "completions"} {
				if entries, _ := os.ReadDir(filepath.Join(tmp, d)); len(entries) == 0 {
					t.Errorf("hook %q writes no %s", h, d)
				}
			}
			written = append(written, man, comp)
		default:
			t.Errorf("before hook %q runs something other than go mod/vet/build/generate or this module's mfactl-docs", h)
		}
	}
	return written
}

// hookFlag returns the value of flag in args, refusing a flag mfactl-docs
// does not define.
func hookFlag(t *testing.T, args []string, flag string) string {
	t.Helper()
	defined := []string{"-md", "-man", "-completions", "-date"}
	value := ""
	for i := 0; i < len(args); i += 2 {
		if !slices.Contains(defined, args[i]) {
			t.Errorf("mfactl-docs has no flag %s", args[i])
			return ""
		}
		if args[i] == flag && i+1 < len(args) {
			value = args[i+1]
		}
	}
	return value
}
