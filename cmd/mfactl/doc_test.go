package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/cmd"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
)

// The doc test runs every example of the README (the `sh` blocks) and of
// every command's --help (Cobra's Example) against a fresh demo tenant, so
// no example can drift from what mfactl does. See docs/doc-examples.md for
// the conventions; in short:
//
//   - A line is an example when it runs mfactl: it starts with `mfactl` or
//     `go run ./cmd/mfactl` (after VAR=value assignments), or pipes into it.
//     Lines ending in `\` continue on the next line. Other lines (curl, go
//     test) are not run; `export` lines apply to the examples after them.
//   - Each block (a README block, or one command's Example) runs in its own
//     directory with a fresh demo tenant (MFACTL_MOCK=1 unless the line
//     names an endpoint) and an audit log with one record; its lines run in
//     order, through sh, so an example may use a file an earlier one wrote.
//   - `mfactl mock serve` lines start a server on a free port, and later
//     lines of the block reach it at the address they name.
//   - An example must exit 0, unless its trailing comment holds a marker:
//     [exits N] (must exit N), or one that skips it: [interactive] (asks on
//     a terminal), [placeholder] (needs a value from an earlier output or
//     your own file), [real tenant] (needs a real tenant), [not run: why]
//     (anything else, such as a benchmark that runs for minutes). The comment
//     <!-- doc-test: MARKER --> on the line before a README block marks
//     every line of it.

// docExample is one example line, where it comes from, and its marker.
type docExample struct {
	where  string
	line   string
	env    []string // export lines before it in its block
	marker string
	exit   int
}

type docBlock struct {
	where    string
	examples []docExample
}

var (
	markerPattern = regexp.MustCompile(`\[(exits (\d+)|interactive|placeholder|real tenant|not run: [^\]]+)\]`)
	runsMfactl    = regexp.MustCompile(`^(?:\w+=\S*\s+)*(?:mfactl|go run \./cmd/mfactl)\b|\|\s*(?:\w+=\S*\s+)*mfactl\b`)
	blockMarker   = regexp.MustCompile(`<!--\s*doc-test:\s*(.*?)\s*-->`)
	// writesInputFile is a line that makes an example's input file in the
	// block's directory (printf ... > hires.csv): run like an example, so
	// the lines after it can read the file.
	writesInputFile = regexp.MustCompile(`^printf\s.*>\s*[\w.-]+$`)
)

// parseMarker reads the marker in a line's trailing comment.
func parseMarker(line string) (marker string, exit int) {
	m := markerPattern.FindStringSubmatch(trailingComment(line))
	if m == nil {
		return "", 0
	}
	if m[2] != "" {
		n, _ := strconv.Atoi(m[2])
		return "exits", n
	}
	return m[1], 0
}

// trailingComment is the part of a shell line after an unquoted " #".
func trailingComment(line string) string {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' '):
			return line[i:]
		}
	}
	return ""
}

// examplesIn splits the text of one block into examples.
func examplesIn(where, text, blockMark string) docBlock {
	b := docBlock{where: where}
	var env []string
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		no := i
		line := strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, "\\") && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, "\\") + " " + strings.TrimSpace(lines[i])
		}
		if strings.HasPrefix(line, "export ") {
			env = append(env, line)
			continue
		}
		if !runsMfactl.MatchString(line) && !writesInputFile.MatchString(line) {
			continue
		}
		ex := docExample{where: fmt.Sprintf("%s, line %d", where, no+1), line: line, env: append([]string{}, env...)}
		ex.marker, ex.exit = parseMarker(line)
		if ex.marker == "" && blockMark != "" {
			ex.marker, ex.exit = parseMarker("# [" + blockMark + "]")
		}
		b.examples = append(b.examples, ex)
	}
	return b
}

// readmeBlocks are the sh blocks that run mfactl in the README and the
// guides under docs/ (the generated docs/reference repeats the --help
// examples, which helpBlocks runs).
func readmeBlocks(t *testing.T) []docBlock {
	t.Helper()
	guides, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []docBlock
	for _, path := range append([]string{"../../README.md"}, guides...) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, shBlocks(strings.TrimPrefix(path, "../../"), string(raw))...)
	}
	return blocks
}

// shBlocks are the sh blocks of one Markdown file that run mfactl.
func shBlocks(name, text string) []docBlock {
	var blocks []docBlock
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		mark := ""
		if i > 0 {
			if m := blockMarker.FindStringSubmatch(lines[i-1]); m != nil {
				mark = m[1]
			}
		}
		start := i + 1
		end := start
		for end < len(lines) && strings.TrimSpace(lines[end]) != "```" {
			end++
		}
		b := examplesIn(fmt.Sprintf("%s:%d", name, start), strings.Join(lines[start:end], "\n"), mark)
		// Line numbers in the file, not in the block.
		for j := range b.examples {
			var n int
			fmt.Sscanf(b.examples[j].where[strings.LastIndex(b.examples[j].where, "line ")+5:], "%d", &n)
			b.examples[j].where = fmt.Sprintf("%s:%d", name, start+n)
		}
		if len(b.examples) > 0 {
			blocks = append(blocks, b)
		}
		i = end
	}
	return blocks
}

// helpBlocks are the Example fields of every command.
func helpBlocks() []docBlock {
	ios, _, _, _ := iostreams.Test()
	root := cmd.NewCmdRoot(factory.New(ios, "test"))
	var blocks []docBlock
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Example != "" {
			if b := examplesIn("`"+c.CommandPath()+" --help`", c.Example, ""); len(b.examples) > 0 {
				blocks = append(blocks, b)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return blocks
}

// docEnv is a block's directory and environment.
type docEnv struct {
	t      *testing.T
	dir    string
	vars   []string
	serves map[string]string // the address an example names -> the server's URL
}

func newDocEnv(t *testing.T) *docEnv {
	dir := t.TempDir()
	bin := filepath.Dir(binary)
	d := &docEnv{t: t, dir: dir, serves: map[string]string{}}
	d.vars = []string{
		"HOME=" + dir, "PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_STATE_HOME=" + filepath.Join(dir, "state"),
		"MFACTL_MOCK_STATE=" + filepath.Join(dir, "mock.db"),
		// The emulator's PIN hashing at full strength costs seconds.
		"MFACTL_MOCK_VERIFY_CONFIG=" + cheapVerifyConfig(t, dir, ""),
		// The token of the admin that `mock serve` prints, as its README
		// section exports it; --mock uses the same admin.
		"MFACTL_TOKEN=mock-admin-token",
	}
	// An audit log with one record, so `audit log|head|verify` have one.
	log := audit.Open(filepath.Join(dir, "state", "mfactl", audit.DefaultFileName))
	if _, err := log.Append(audit.Record{Actor: audit.Actor{UPN: "mfa.admin@contoso.example", Source: "me"}, Tenant: "contoso.example",
		Command: "mfactl phone add adele.vance@contoso.example +14255550100 --ticket INC-1234", Ticket: "INC-1234",
		Targets: []audit.Target{{ID: "demo", UPN: "adele.vance@contoso.example"}}, Outcome: audit.OutcomeSucceeded}); err != nil {
		t.Fatal(err)
	}
	return d
}

var serveAddr = regexp.MustCompile(`--addr\s+(\S+)`)

// startServe runs a `mock serve` example on a free port, remembering the
// address it names.
func (d *docEnv) startServe(line string) error {
	addr := "127.0.0.1:8080"
	if m := serveAddr.FindStringSubmatch(line); m != nil {
		addr = m[1]
	}
	args := strings.Fields(serveAddr.ReplaceAllString(line, "--addr 127.0.0.1:0"))
	if !serveAddr.MatchString(line) {
		args = append(args, "--addr", "127.0.0.1:0")
	}
	if !strings.Contains(line, "--state") {
		// Each server its own state: a server holds its file.
		args = append(args, "--state", fmt.Sprintf("serve%d.db", len(d.serves)+1))
	}
	if strings.Contains(line, "'") || strings.Contains(line, `"`) || args[0] != "mfactl" {
		return fmt.Errorf("a mock serve example must be a plain `mfactl mock serve ...` line")
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := exec.CommandContext(ctx, binary, args[1:]...)
	c.Dir, c.Env, c.Stderr = d.dir, d.vars, io.Discard
	stdout, err := c.StdoutPipe()
	if err != nil {
		cancel()
		return err
	}
	if err := c.Start(); err != nil {
		cancel()
		return err
	}
	d.t.Cleanup(func() { cancel(); c.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if url, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				urls <- url
			}
		}
	}()
	select {
	case url := <-urls:
		d.serves[addr] = url
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("mock serve did not start")
	}
}

// rewrite points the addresses a line names at the servers started for
// them (a block that names one without starting it gets one started).
func (d *docEnv) rewrite(line string) (string, error) {
	for _, addr := range regexp.MustCompile(`https?://(127\.0\.0\.1:\d+)`).FindAllStringSubmatch(line, -1) {
		if _, ok := d.serves[addr[1]]; !ok {
			serve := "mfactl mock serve --addr " + addr[1]
			if strings.HasPrefix(addr[0], "https") {
				serve += " --tls --tls-cert-out mock.pem"
			}
			if err := d.startServe(serve); err != nil {
				return "", err
			}
		}
		line = strings.ReplaceAll(line, addr[0], d.serves[addr[1]])
	}
	return line, nil
}

func (d *docEnv) run(ex docExample) (code int, out string, err error) {
	line := strings.Replace(ex.line, "go run ./cmd/mfactl", "mfactl", -1)
	if strings.HasPrefix(strings.TrimLeft(line, " "), "mfactl mock serve") {
		return 0, "", d.startServe(strings.TrimSpace(strings.SplitN(line, " #", 2)[0]))
	}
	script := strings.Join(append(append([]string{}, ex.env...), line), "\n")
	if script, err = d.rewrite(script); err != nil {
		return 0, "", err
	}
	vars := d.vars
	if !strings.Contains(script, "--endpoint") && !strings.Contains(script, "MFACTL_ENDPOINT") {
		vars = append(append([]string{}, vars...), "MFACTL_MOCK=1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", script)
	c.Dir, c.Env, c.Stdin = d.dir, vars, strings.NewReader("")
	var buf bytes.Buffer
	c.Stdout, c.Stderr = &buf, &buf
	err = c.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), buf.String(), nil
	}
	return 0, buf.String(), err
}

// TestDocExamples runs every example; a failure names where it is.
func TestDocExamples(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh to run the examples")
	}
	blocks := append(readmeBlocks(t), helpBlocks()...)
	if len(blocks) < 40 {
		t.Fatalf("only %d example blocks found: is the extraction broken?", len(blocks))
	}
	var skipped []string
	for _, b := range blocks {
		t.Run(b.where, func(t *testing.T) {
			d := newDocEnv(t)
			for _, ex := range b.examples {
				if ex.marker != "" && ex.marker != "exits" {
					skipped = append(skipped, fmt.Sprintf("%s [%s]: %s", ex.where, ex.marker, ex.line))
					continue
				}
				code, out, err := d.run(ex)
				if err != nil {
					t.Errorf("%s: %s: %v", ex.where, ex.line, err)
					continue
				}
				if code != ex.exit {
					t.Errorf("%s: exit %d, want %d (mark it [exits %d] if that is right)\n  %s\n%s", ex.where, code, ex.exit, code, ex.line, indent(out))
				}
			}
		})
	}
	t.Logf("%d examples not run, as marked:\n%s", len(skipped), strings.Join(skipped, "\n"))
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if len(s) > 2000 {
		s = s[:2000] + "..."
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// The extraction itself: which lines are examples, and their markers.
func TestDocExampleExtraction(t *testing.T) {
	text := `go test ./...
export MFACTL_TOKEN=x
mfactl --mock user show a@b   # shows [exits 3]
echo 1 | mfactl --mock enroll pin a@b --pin-stdin
MFACTL_MOCK=1 mfactl token check X --code 1 \
  --code 2
mfactl verify a@b --challenge ID   # [placeholder]
mfactl --mock verify a@b --code "# not a comment [interactive]"
curl -s http://x | jq .`
	b := examplesIn("t", text, "")
	want := []struct {
		line, marker string
		exit, env    int
	}{
		{"mfactl --mock user show a@b   # shows [exits 3]", "exits", 3, 1},
		{"echo 1 | mfactl --mock enroll pin a@b --pin-stdin", "", 0, 1},
		{"MFACTL_MOCK=1 mfactl token check X --code 1  --code 2", "", 0, 1},
		{"mfactl verify a@b --challenge ID   # [placeholder]", "placeholder", 0, 1},
		{`mfactl --mock verify a@b --code "# not a comment [interactive]"`, "", 0, 1},
	}
	if len(b.examples) != len(want) {
		t.Fatalf("%d examples: %+v", len(b.examples), b.examples)
	}
	for i, w := range want {
		got := b.examples[i]
		if got.line != w.line || got.marker != w.marker || got.exit != w.exit || len(got.env) != w.env {
			t.Errorf("example %d: %+v, want %+v", i, got, w)
		}
	}
	if b := examplesIn("t", "mfactl auth status", "real tenant"); b.examples[0].marker != "real tenant" {
		t.Errorf("block marker: %+v", b.examples)
	}
}
