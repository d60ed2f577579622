package cmd

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/entra"
	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/internal/audit"
	"github.com/mfactl/mfactl/internal/cmdutil"
	"github.com/mfactl/mfactl/internal/iostreams"
	"github.com/mfactl/mfactl/internal/output"
	"github.com/mfactl/mfactl/internal/plural"
	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/seedfile"
)

const (
	// maxSeedFile bounds what import reads into memory: Entra's own upload
	// limit is far below (a 10,000-token CSV is under 1 MB).
	maxSeedFile = 64 << 20
	// progressMinTokens: smaller imports finish before a bar would help.
	progressMinTokens = 50
	// pskcPasswordEnv gives the PSKC password to scripts.
	pskcPasswordEnv = "MFACTL_PSKC_PASSWORD"
)

// TokenImportOptions are the inputs of `token import`.
type TokenImportOptions struct {
	IO      *iostreams.IOStreams
	Graph   func() (*graph.Client, error)
	Printer func() (*output.Printer, error)
	Audit   *audit.Session // the users the run acts on, for its audit record
	Mutation
	File         string
	Format       string
	SkipInvalid  bool
	ErrorsOut    string
	PSKCKey      string
	PSKCPassword bool
	Manufacturer string
	Model        string
	Concurrency  int
	// Getenv reads MFACTL_PSKC_PASSWORD (tests replace it).
	Getenv func(string) string

	format seedfile.Format // Format, parsed by Validate ("": detect)
}

// Validate checks the flags before the file is read.
func (o *TokenImportOptions) Validate() error {
	if o.Concurrency < 1 || o.Concurrency > 16 {
		return cmdutil.FlagErrorf("--concurrency must be between 1 and 16")
	}
	if o.PSKCKey != "" && o.PSKCPassword {
		return cmdutil.FlagErrorf("give either --pskc-key or --pskc-password, not both")
	}
	o.format = ""
	if o.Format != "" {
		f, err := seedfile.ParseFormat(o.Format)
		if err != nil {
			return cmdutil.FlagErrorf("--format: %v", err)
		}
		o.format = f
	}
	return nil
}

// NewCmdTokenImport builds `mfactl token import <file>`.
func NewCmdTokenImport(f *cmdutil.Factory, runF func(context.Context, *TokenImportOptions) error) *cobra.Command {
	opts := &TokenImportOptions{IO: f.IOStreams, Graph: f.Graph, Printer: f.Printer, Audit: f.Audit, Concurrency: 4, Getenv: os.Getenv}
	c := &cobra.Command{
		Use:   "import <file> [--format csv|pskc] [--skip-invalid --errors-out FILE]",
		Short: "Load a vendor's seed file into the token inventory",
		Long: `Import hardware tokens from the vendor's seed file: Entra's CSV (header
upn,serial number,secret key,time interval,manufacturer,model; an optional hash
function column) or an RFC 6030 PSKC document, plain or with AES-CBC encrypted
secrets (--pskc-key HEX for a pre-shared key; --pskc-password for a PBKDF2
password, asked on a terminal or read from MFACTL_PSKC_PASSWORD). Only TOTP
tokens with 6 digits, a 30 or 60 second interval and SHA-1 or SHA-256 are
accepted: Entra has no HOTP. A CSV row with a upn assigns the token to that user;
PSKC tokens (whose UserId is not a user principal name) stay unassigned.
--manufacturer and --model fill in what a PSKC file's DeviceInfo leaves out.

Everything is checked before anything is sent: the secret (base32, at most 128
characters), interval, hash, duplicate serials and seeds within the file, serials
already in the inventory as a different token, unknown or guest users, and the
limit of five OATH methods per user. By default one bad row stops the import:
every bad row is listed with its line and reason and nothing is imported (exit 2).
With --skip-invalid the valid rows are imported and the command exits 5 when any
row was rejected. --errors-out writes the rejected rows as CSV with a reason
column and the secrets masked (mode 0600); fixed, the file can be imported again.

Tokens are created through JSON batching, 20 a request and --concurrency
requests in flight, paced to Graph's budgets and retried after Retry-After
when throttled. A create whose answer is lost (a 5xx, a reset) is looked up in
the inventory by its serial, and sent again only when it is not there; a row
whose lookup fails too is reported "unknown" (exit 5). A token whose serial is already in the inventory
(the same manufacturer, model, interval and hash) is skipped and reported, so
running the same file again is safe, and finishes an import that failed halfway.
Seeds are never printed, logged or written anywhere.`,
		Example: `  mfactl --mock token import tokens.csv --dry-run   # [placeholder] your file
  mfactl token import tokens.csv --skip-invalid --errors-out rejected.csv   # [placeholder] your file
  mfactl token import vendor.pskc --pskc-key 12345678901234567890123456789012 --model "OTP c200"   # [placeholder] your file
  MFACTL_PSKC_PASSWORD=... mfactl token import vendor.xml --pskc-password   # [placeholder] your file`,
		Args: exactArgs(1, "token import needs one seed <file> (CSV or PSKC)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			return runVerb(cmd.Context(), opts, runF, tokenImportRun)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Format, "format", "", "csv or pskc (default: from the file name and content)")
	fl.BoolVar(&opts.SkipInvalid, "skip-invalid", false, "import the valid rows and reject the others (exit 5 when any was rejected)")
	fl.StringVar(&opts.ErrorsOut, "errors-out", "", "write the rejected rows to this CSV file, with a reason column and masked secrets")
	fl.StringVar(&opts.PSKCKey, "pskc-key", "", "pre-shared AES key of an encrypted PSKC file, in hex")
	fl.BoolVar(&opts.PSKCPassword, "pskc-password", false, "the PSKC file is encrypted with a password: ask for it, or read "+pskcPasswordEnv)
	fl.StringVar(&opts.Manufacturer, "manufacturer", "", "manufacturer for PSKC tokens whose DeviceInfo has none")
	fl.StringVar(&opts.Model, "model", "", "model for PSKC tokens whose DeviceInfo has none")
	fl.IntVar(&opts.Concurrency, "concurrency", opts.Concurrency, "how many $batch requests (and user lookups) are in flight, 1 to 16")
	_ = c.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"csv", "pskc"}, cobra.ShellCompDirectiveNoFileComp))
	addMutationFlags(c, &opts.Mutation, false)
	return c
}

// importRow is the outcome of one token of the file.
type importRow struct {
	Line         int    `json:"line"`
	SerialNumber string `json:"serialNumber"`
	UPN          string `json:"upn,omitempty"`
	// Outcome is imported, skipped (already in the inventory), rejected
	// (invalid, nothing sent), failed (Graph refused it, or a re-read
	// after a lost answer showed it was not created), unknown (Graph's
	// answer was lost and the re-read failed too) or planned (--dry-run).
	Outcome string `json:"outcome"`
	ID      string `json:"id,omitempty"`
	Status  string `json:"status,omitempty"`
	Detail  string `json:"detail,omitempty"`
	// err is why a failed row failed (not printed: Detail says it).
	err error
}

// importResult is what `token import` prints.
type importResult struct {
	File     string      `json:"file"`
	DryRun   bool        `json:"dryRun,omitempty"`
	Imported int         `json:"imported"`
	Skipped  int         `json:"skipped"`
	Rejected int         `json:"rejected"`
	Failed   int         `json:"failed"`
	Unknown  int         `json:"unknown,omitempty"`
	Rows     []importRow `json:"rows"`
}

func (r *importResult) add(row importRow) {
	switch row.Outcome {
	case "imported", "planned":
		r.Imported++
	case "skipped":
		r.Skipped++
	case "rejected":
		r.Rejected++
	case "failed":
		r.Failed++
	case "unknown":
		r.Unknown++
	}
	r.Rows = append(r.Rows, row)
}

func (r *importResult) Table() output.TableData {
	t := output.TableData{Header: []string{"line", "serial", "upn", "outcome", "status", "detail"}}
	for _, row := range r.Rows {
		t.Rows = append(t.Rows, []string{fmt.Sprint(row.Line), row.SerialNumber, dash(row.UPN), row.Outcome, dash(row.Status), dash(row.Detail)})
	}
	return t
}

// RenderTable shows people only the rows that need a look: a clean import
// of thousands of tokens is one summary line on stderr.
func (r *importResult) RenderTable(w io.Writer) error {
	notable := &importResult{}
	for _, row := range r.Rows {
		if row.Outcome != "imported" && row.Outcome != "planned" {
			notable.Rows = append(notable.Rows, row)
		}
	}
	if len(notable.Rows) == 0 {
		return nil
	}
	return output.WriteTable(w, notable.Table())
}

func sortImportRows(rows []importRow) {
	slices.SortStableFunc(rows, func(a, b importRow) int { return cmp.Compare(a.Line, b.Line) })
}

func tokenImportRun(ctx context.Context, opts *TokenImportOptions) error {
	format := opts.format
	data, err := readSeedFile(opts.File)
	if err != nil {
		return err
	}
	if format == "" {
		format = seedfile.DetectFormat(opts.File, data[:min(len(data), 512)])
	}
	pskc, err := opts.pskcOptions(format)
	if err != nil {
		return err
	}
	parsed, err := seedfile.Parse(bytes.NewReader(data), opts.File, format, pskc)
	clear(data) // the seeds live on only in parsed
	if err != nil {
		var fe *seedfile.FileError
		hint := ""
		if errors.As(err, &fe) && format == seedfile.FormatCSV {
			hint = "the CSV needs the header " + seedfile.CSVHeader
		}
		return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%s: %w", opts.File, err), hint)
	}
	if len(parsed.Tokens)+len(parsed.Errors) == 0 {
		opts.IO.Notef("Nothing to import: %s has no tokens.", opts.File)
		return nil
	}

	s, err := openSession(opts.IO, opts.Printer, opts.Graph, opts.Audit, opts.Mutation)
	if err != nil {
		return err
	}
	tenant, err := loadImportTenant(ctx, s.client, parsed, opts.Concurrency)
	if err != nil {
		return err
	}
	result := &importResult{File: opts.File, DryRun: opts.DryRun}
	for _, row := range tenant.splitExisting(parsed) {
		result.add(row)
	}
	if err := parsed.CheckTenant(ctx, tenant); err != nil {
		return err
	}

	if n := len(parsed.Errors); n > 0 {
		for _, e := range parsed.Errors {
			fmt.Fprintf(s.IO.ErrOut, "%s: %s\n", opts.File, e.Error())
		}
		if opts.ErrorsOut != "" {
			if err := seedfile.WriteErrorsFile(opts.ErrorsOut, parsed.Errors); err != nil {
				return cmdutil.WithExit(cmdutil.ExitFailure, fmt.Errorf("writing the rejected rows: %w", err), "")
			}
			s.IO.Notef("Wrote the %s to %s (secrets masked).", plural.Count(n, "rejected row"), opts.ErrorsOut)
		}
		if !opts.SkipInvalid {
			return cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("%d of %s in %s %s invalid; nothing was imported", n, plural.Count(n+len(parsed.Tokens)+result.Skipped, "token"), opts.File, plural.Noun(n, "is")),
				"fix them and run the command again, or import the valid ones with --skip-invalid (and --errors-out FILE)")
		}
		for _, e := range parsed.Errors {
			result.add(importRow{Line: e.Line, SerialNumber: e.Serial, UPN: e.Row.UPN, Outcome: "rejected", Detail: e.Reason})
		}
	}

	if len(parsed.Tokens) > 0 {
		if err := sendImport(ctx, s, tenant, parsed.Tokens, opts.Concurrency, result); err != nil {
			return err
		}
	}
	clear(parsed.Tokens)
	sortImportRows(result.Rows)

	if s.plan != nil {
		s.IO.Notef("Dry run of %s: %s would be imported, %d skipped (already in the inventory), %d rejected.", opts.File, plural.Count(result.Imported, "token"), result.Skipped, result.Rejected)
		if _, err := s.finishDryRun(); err != nil {
			return err
		}
	} else {
		for _, row := range result.Rows {
			switch row.Outcome {
			case "failed":
				fmt.Fprintf(s.IO.ErrOut, "%s: line %d (serial %s): not imported: %s\n", opts.File, row.Line, row.SerialNumber, row.Detail)
			case "unknown":
				fmt.Fprintf(s.IO.ErrOut, "%s: line %d (serial %s): may or may not be imported: %s\n", opts.File, row.Line, row.SerialNumber, row.Detail)
			}
		}
		s.IO.Notef("Imported %s from %s; %d skipped (already in the inventory), %d rejected, %d failed.", plural.Count(result.Imported, "token"), opts.File, result.Skipped, result.Rejected, result.Failed)
		if err := s.printer.Print(result); err != nil {
			return err
		}
	}
	switch refused := result.refusedEverywhere(); {
	case refused != nil:
		return cmdutil.WithExit(cmdutil.ExitAuth, fmt.Errorf("none of the %d tokens was imported: %w", result.Failed, refused), "")
	case result.Unknown > 0:
		return cmdutil.WithExit(cmdutil.ExitPartial, fmt.Errorf("%d of %d tokens have an unknown outcome, %d were not imported", result.Unknown, len(result.Rows), result.Failed),
			"`mfactl token list` shows what the inventory holds; running the same command again skips the tokens already imported")
	case result.Failed > 0:
		return cmdutil.WithExit(cmdutil.ExitPartial, fmt.Errorf("%d of %s %s not imported", result.Failed, plural.Count(len(result.Rows), "token"), plural.Noun(result.Failed, "was")),
			"run the same command again to retry them: tokens already imported are skipped")
	case result.Rejected > 0:
		return cmdutil.WithExit(cmdutil.ExitPartial, fmt.Errorf("%s of %s %s rejected", plural.Count(result.Rejected, "row"), opts.File, plural.Noun(result.Rejected, "was")), "fix the rejected rows and import them again")
	}
	return nil
}

func readSeedFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("token import: %w", err), "give the vendor's seed file: Entra's CSV or a PSKC document")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSeedFile+1))
	if err != nil {
		return nil, cmdutil.WithExit(cmdutil.ExitFailure, err, "")
	}
	if len(data) > maxSeedFile {
		return nil, cmdutil.Errorf(cmdutil.ExitUsage, "%s is larger than %d MB; split it", path, maxSeedFile>>20)
	}
	return data, nil
}

// pskcOptions collects the PSKC-only inputs, refusing them for a CSV.
func (opts *TokenImportOptions) pskcOptions(format seedfile.Format) (seedfile.PSKCOptions, error) {
	var o seedfile.PSKCOptions
	if format != seedfile.FormatPSKC {
		for flag, set := range map[string]bool{"--manufacturer": opts.Manufacturer != "", "--model": opts.Model != "", "--pskc-key": opts.PSKCKey != "", "--pskc-password": opts.PSKCPassword} {
			if set {
				return o, cmdutil.FlagErrorf("%s applies to PSKC files only; %s is read as CSV (a CSV has manufacturer and model columns)", flag, opts.File)
			}
		}
		return o, nil
	}
	o.Manufacturer, o.Model = opts.Manufacturer, opts.Model
	if opts.PSKCKey != "" {
		key, err := seedfile.ParseHexKey(opts.PSKCKey)
		if err != nil {
			return o, cmdutil.FlagErrorf("--pskc-key: %v", err)
		}
		o.Key = key
	}
	if pw := opts.Getenv(pskcPasswordEnv); pw != "" {
		o.Password = pw
	} else if opts.PSKCPassword {
		pw, err := opts.IO.PromptSecret("Password of " + opts.File)
		switch {
		case errors.Is(err, iostreams.ErrNoTTY):
			return o, cmdutil.WithExit(cmdutil.ExitUsage, fmt.Errorf("--pskc-password needs the password and there is no terminal to ask on"), "set "+pskcPasswordEnv)
		case err != nil:
			return o, err
		case pw == "":
			return o, cmdutil.FlagErrorf("the PSKC password is empty")
		}
		o.Password = pw
	}
	return o, nil
}

// importTenant answers seedfile's tenant questions from what was read
// before the checks: the whole inventory (one paged read) and every user
// the file names, looked up once each.
type importTenant struct {
	client    *graph.Client
	inventory map[string]methods.HardwareToken // upper-case serial -> token
	mu        sync.Mutex
	users     map[string]*importUser // lower-case UPN -> user
}

type importUser struct {
	user  methods.User
	found bool
	oath  int // OATH and app methods the user has
}

// loadImportTenant reads the inventory and the file's users.
func loadImportTenant(ctx context.Context, client *graph.Client, parsed *seedfile.Result, concurrency int) (*importTenant, error) {
	t := &importTenant{client: client, inventory: map[string]methods.HardwareToken{}, users: map[string]*importUser{}}
	err := client.ListHardwareTokens(ctx, graph.HardwareTokenFilter{}, func(tok methods.HardwareToken) bool {
		t.inventory[strings.ToUpper(tok.SerialNumber)] = tok
		return true
	})
	if err != nil {
		return nil, err
	}
	var upns []string
	seen := map[string]bool{}
	for _, tok := range parsed.Tokens {
		if k := strings.ToLower(tok.UPN); k != "" && !seen[k] {
			seen[k] = true
			upns = append(upns, tok.UPN)
		}
	}
	return t, t.loadUsers(ctx, upns, concurrency)
}

// loadUsers looks up users and their OATH method counts through $batch:
// two reads a user (the user and their beta method list), 20 reads a
// request, concurrency requests in flight. A user Graph does not know is
// recorded as not found (both reads answer 404); a guest's method list is
// not needed (guests are refused), so its failure is not an error.
func (t *importTenant) loadUsers(ctx context.Context, upns []string, concurrency int) error {
	const userKey, methodsKey = "user ", "methods of "
	items := func(yield func(graph.BatchItem) bool) {
		for _, upn := range upns {
			if !yield(graph.BatchItem{Key: userKey + upn, Request: t.client.UserRequest(upn)}) ||
				!yield(graph.BatchItem{Key: methodsKey + upn, Request: t.client.MethodListRequest(upn)}) {
				return
			}
		}
	}
	loaded := make(map[string]*importUser, len(upns))
	entry := func(upn string) *importUser {
		u := loaded[upn]
		if u == nil {
			u = &importUser{}
			loaded[upn] = u
		}
		return u
	}
	methodErrs := map[string]error{}
	err := t.client.Batch(ctx, items, graph.BatchOptions{Beta: true, Concurrency: concurrency, Op: "read", Role: graph.RoleReadMethods}, func(r graph.BatchResult) error {
		if upn, ok := strings.CutPrefix(r.Key, userKey); ok {
			switch {
			case graph.IsNotFound(r.Err):
				entry(upn)
			case r.Err != nil:
				return r.Err
			default:
				user, err := graph.DecodeUser(r.Body)
				if err != nil {
					return err
				}
				u := entry(upn)
				u.user, u.found = user, true
			}
			return nil
		}
		upn := strings.TrimPrefix(r.Key, methodsKey)
		if r.Err != nil {
			methodErrs[upn] = r.Err
			return nil
		}
		n, err := graph.CountOathMethods(r.Body)
		if err != nil {
			return err
		}
		entry(upn).oath = n
		return nil
	})
	if err != nil {
		return err
	}
	for upn, u := range loaded {
		if err := methodErrs[upn]; err != nil && u.found && !u.user.IsGuest() {
			return err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for upn, u := range loaded {
		t.users[strings.ToLower(upn)] = u
	}
	return nil
}

// lookup is a user of the file (and their OATH method count), read by
// loadUsers before the checks, or now when the checks ask for another.
func (t *importTenant) lookup(ctx context.Context, upn string) (*importUser, error) {
	key := strings.ToLower(upn)
	t.mu.Lock()
	u, ok := t.users[key]
	t.mu.Unlock()
	if ok {
		return u, nil
	}
	if err := t.loadUsers(ctx, []string{upn}, 1); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if u, ok = t.users[key]; !ok {
		return nil, fmt.Errorf("graph: no answer for user %s", upn)
	}
	return u, nil
}

// SerialInInventory implements seedfile.Tenant.
func (t *importTenant) SerialInInventory(_ context.Context, serial string) (bool, error) {
	_, ok := t.inventory[strings.ToUpper(serial)]
	return ok, nil
}

// UserByUPN implements seedfile.Tenant.
func (t *importTenant) UserByUPN(ctx context.Context, upn string) (methods.User, bool, error) {
	u, err := t.lookup(ctx, upn)
	if err != nil {
		return methods.User{}, false, err
	}
	return u.user, u.found, nil
}

// OathMethodCount implements seedfile.Tenant.
func (t *importTenant) OathMethodCount(ctx context.Context, user methods.User) (int, error) {
	u, err := t.lookup(ctx, user.UserPrincipalName)
	if err != nil {
		return 0, err
	}
	return u.oath, nil
}

// userID is the object id of a file's user ("" when unknown).
func (t *importTenant) userID(upn string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if u := t.users[strings.ToLower(upn)]; u != nil && u.found {
		return u.user.ID
	}
	return ""
}

// splitExisting takes the tokens whose serial is already in the inventory
// out of the import. The same token (manufacturer, model, interval and
// hash agree) is skipped, which makes a re-run of the same file
// idempotent; a different token under the same serial is a rejected row.
// The seed cannot be compared: Graph never returns it.
func (t *importTenant) splitExisting(parsed *seedfile.Result) []importRow {
	var skipped []importRow
	conflicts := map[int]string{}
	kept := parsed.Tokens[:0]
	for _, tok := range parsed.Tokens {
		inv, ok := t.inventory[strings.ToUpper(tok.SerialNumber)]
		if !ok {
			kept = append(kept, tok)
			continue
		}
		if diff := tokenDifference(inv, tok); diff != "" {
			conflicts[tok.Line] = fmt.Sprintf("serial number %s is already in the inventory as a different token (%s)", tok.SerialNumber, diff)
			kept = append(kept, tok)
			continue
		}
		detail := "already in the inventory"
		if inv.AssignedTo != nil {
			detail += ", assigned to " + assignee(inv)
		}
		if tok.UPN != "" {
			if id := t.userID(tok.UPN); inv.AssignedTo == nil || id == "" || inv.AssignedTo.ID != id {
				detail += fmt.Sprintf("; not assigned to %s: `mfactl token assign %s %s`", tok.UPN, tok.SerialNumber, tok.UPN)
			}
		}
		skipped = append(skipped, importRow{Line: tok.Line, SerialNumber: tok.SerialNumber, UPN: tok.UPN, Outcome: "skipped", ID: inv.ID, Status: string(inv.Status), Detail: detail})
	}
	clear(parsed.Tokens[len(kept):])
	parsed.Tokens = kept
	if len(conflicts) > 0 {
		parsed.Reject(func(tok seedfile.Token) error {
			if reason, ok := conflicts[tok.Line]; ok {
				return errors.New(reason)
			}
			return nil
		})
	}
	return skipped
}

// tokenDifference names what differs between the inventory's token and
// the file's ("" when they are the same token as far as Graph shows).
func tokenDifference(inv methods.HardwareToken, tok seedfile.Token) string {
	var d []string
	if inv.Manufacturer != "" && !strings.EqualFold(inv.Manufacturer, tok.Manufacturer) {
		d = append(d, fmt.Sprintf("manufacturer %s, not %s", inv.Manufacturer, tok.Manufacturer))
	}
	if inv.Model != "" && !strings.EqualFold(inv.Model, tok.Model) {
		d = append(d, fmt.Sprintf("model %s, not %s", inv.Model, tok.Model))
	}
	if inv.TimeIntervalInSeconds != 0 && inv.TimeIntervalInSeconds != tok.TimeInterval {
		d = append(d, fmt.Sprintf("interval %ds, not %ds", inv.TimeIntervalInSeconds, tok.TimeInterval))
	}
	if h := nonEmptyOr(inv.HashFunction, "hmacsha1"); !strings.EqualFold(h, string(tok.HashFunction)) {
		d = append(d, fmt.Sprintf("hash %s, not %s", h, tok.HashFunction))
	}
	return strings.Join(d, "; ")
}

// newTokenOf is the create request's input for a token of the file.
func newTokenOf(tok seedfile.Token, userID string) graph.NewHardwareToken {
	return graph.NewHardwareToken{
		SerialNumber: tok.SerialNumber, Manufacturer: tok.Manufacturer, Model: tok.Model, DisplayName: tok.DisplayName,
		Secret: methods.OATHSecret(tok.Secret.Base32()), TimeIntervalInSeconds: tok.TimeInterval,
		HashFunction: string(tok.HashFunction), AssignTo: userID,
	}
}

// importProgress is a progress bar on stderr, only on a terminal and only
// for imports large enough to need one.
type importProgress struct {
	bar *progressbar.ProgressBar
}

func newImportProgress(ios *iostreams.IOStreams, total int) *importProgress {
	if !ios.IsStderrTTY() || total < progressMinTokens {
		return nil
	}
	return &importProgress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(ios.ErrOut),
		progressbar.OptionSetDescription("Importing tokens"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(ios.ErrOut) }),
	)}
}

func (p *importProgress) add(n int) {
	if p != nil {
		_ = p.bar.Add(n)
	}
}

func (p *importProgress) finish() {
	if p != nil {
		_ = p.bar.Finish()
	}
}

// importOutcome turns a create's answer into the row's outcome.
func importOutcome(row importRow, created methods.HardwareToken, err error) importRow {
	switch {
	case err == nil:
		row.Outcome, row.ID, row.Status = "imported", created.ID, string(created.Status)
	case graph.IsOutcomeUnknown(err):
		row.Outcome, row.Detail = "unknown", oneLine(err)
	case graph.RuleOf(err) == entra.CodeSerialNumberExists:
		// Created meanwhile (another run, the portal): the serial is there.
		row.Outcome, row.Detail = "skipped", "already in the inventory (added while this import ran)"
	default:
		row.Outcome, row.Detail, row.err = "failed", oneLine(err), err
	}
	return row
}

// refusedEverywhere returns the error of the failed rows when nothing was
// imported and every failure was a refusal of the caller's permission
// (exit 4): that is "not allowed", not a partial import.
func (r *importResult) refusedEverywhere() error {
	if r.Imported > 0 || r.Failed == 0 {
		return nil
	}
	var first error
	for _, row := range r.Rows {
		if row.Outcome != "failed" {
			continue
		}
		if row.err == nil || cmdutil.ExitCodeOf(row.err) != cmdutil.ExitAuth {
			return nil
		}
		if first == nil {
			first = row.err
		}
	}
	return first
}

// sendImport creates the tokens and records each outcome. A dry run plans
// each create (seeds redacted) without sending it.
func sendImport(ctx context.Context, s *session, tenant *importTenant, tokens []seedfile.Token, concurrency int, result *importResult) error {
	if s.plan != nil {
		for _, tok := range tokens {
			if _, err := s.client.CreateHardwareToken(ctx, newTokenOf(tok, tenant.userID(tok.UPN))); err != nil {
				return err
			}
			result.add(importRow{Line: tok.Line, SerialNumber: tok.SerialNumber, UPN: tok.UPN, Outcome: "planned"})
		}
		return nil
	}
	bar := newImportProgress(s.IO, len(tokens))
	defer bar.finish()
	// The creates go through JSON batching: 20 a request, concurrency
	// requests in flight; each throttled step is retried on its own after
	// its Retry-After, and the client's limiter keeps them within Graph's
	// write budget.
	byKey := make(map[string]seedfile.Token, len(tokens))
	var keyMu sync.Mutex
	var buildErr error
	// A create whose answer was lost is settled by re-reading the
	// inventory for its serial (CreateHardwareTokenItem), never by sending
	// it blindly again.
	items := func(yield func(graph.BatchItem) bool) {
		for _, tok := range tokens {
			key := "hardware token " + tok.SerialNumber
			item, err := s.client.CreateHardwareTokenItem(key, newTokenOf(tok, tenant.userID(tok.UPN)))
			if err != nil {
				buildErr = err
				return
			}
			keyMu.Lock()
			byKey[key] = tok
			keyMu.Unlock()
			if !yield(item) {
				return
			}
		}
	}
	err := s.client.Batch(ctx, items, graph.BatchOptions{Beta: true, Concurrency: concurrency, Op: "add", Role: graph.RolePolicy}, func(r graph.BatchResult) error {
		keyMu.Lock()
		tok := byKey[r.Key]
		keyMu.Unlock()
		var created methods.HardwareToken
		err := r.Err
		if err == nil {
			created, err = graph.ConvertHardwareToken(r.Body)
		}
		result.add(importOutcome(importRow{Line: tok.Line, SerialNumber: tok.SerialNumber, UPN: tok.UPN}, created, err))
		bar.add(1)
		return nil
	})
	if buildErr != nil {
		return buildErr
	}
	if err != nil && ctx.Err() == nil {
		// The batch itself failed (not one token): the tokens without an
		// outcome are listed as failed and a re-run finishes them.
		done := map[string]bool{}
		for _, row := range result.Rows {
			done[row.SerialNumber] = true
		}
		for _, tok := range tokens {
			if !done[tok.SerialNumber] {
				result.add(importRow{Line: tok.Line, SerialNumber: tok.SerialNumber, UPN: tok.UPN, Outcome: "failed", Detail: oneLine(err)})
			}
		}
		return nil
	}
	return ctx.Err()
}
