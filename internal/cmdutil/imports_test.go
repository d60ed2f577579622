package cmdutil

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/mfactl/mfactl"

// moduleDeps returns the module's packages that pkg (a path relative to the
// module root) imports, directly or not, reading the imports of each
// package's non-test files.
func moduleDeps(t *testing.T, root, pkg string) []string {
	t.Helper()
	seen := map[string]bool{}
	var walk func(rel string)
	walk = func(rel string) {
		dir := filepath.Join(root, filepath.FromSlash(rel))
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatalf("read %s: %v", dir, err)
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, name), nil, parser.ImportsOnly)
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			for _, imp := range file.Imports {
				path := strings.Trim(imp.Path.Value, `"`)
				if !strings.HasPrefix(path, module+"/") {
					continue
				}
				dep := strings.TrimPrefix(path, module+"/")
				if !seen[dep] {
					seen[dep] = true
					walk(dep)
				}
			}
		}
	}
	walk(pkg)
	deps := make([]string, 0, len(seen))
	for d := range seen {
		deps = append(deps, d)
	}
	sort.Strings(deps)
	return deps
}

// TestNoMockBelowVerbs keeps the mock out of what every verb imports: the
// Factory is defined here and built in internal/factory.
func TestNoMockBelowVerbs(t *testing.T) {
	deps := moduleDeps(t, filepath.Join("..", ".."), "internal/cmdutil")
	if len(deps) == 0 {
		t.Fatal("found no imports of the module: the walk is broken")
	}
	for _, d := range deps {
		if d == "mock" || strings.HasPrefix(d, "mock/") || d == "internal/factory" || d == "cmd" || strings.HasPrefix(d, "cmd/") {
			t.Errorf("internal/cmdutil imports %s (all: %v)", d, deps)
		}
	}
}

// TestModuleDepsSeesMock checks the walk itself on a package that does
// import the mock, so that TestNoMockBelowVerbs can fail.
func TestModuleDepsSeesMock(t *testing.T) {
	deps := moduleDeps(t, filepath.Join("..", ".."), "internal/factory")
	for _, d := range deps {
		if d == "mock" {
			return
		}
	}
	t.Fatalf("internal/factory's imports %v lack mock", deps)
}
