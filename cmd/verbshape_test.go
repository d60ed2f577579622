package cmd

import (
	"reflect"
	"slices"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
)

// verbOptions names the Options type of every verb: the one shape is
// NewCmdX(f, runF) with an Options struct listing its dependencies and a
// Validate() error, without I/O, that RunE calls before runF. A verb
// without that shape is listed in verbsWithoutOptions with the reason.
var verbOptions = map[string]any{
	"mfactl audit head":            (*AuditHeadOptions)(nil),
	"mfactl audit log":             (*AuditLogOptions)(nil),
	"mfactl audit verify":          (*AuditCheckChainOptions)(nil),
	"mfactl authenticator list":    (*KindListOptions)(nil),
	"mfactl authenticator remove":  (*KindRemoveOptions)(nil),
	"mfactl bulk apply":            (*BulkApplyOptions)(nil),
	"mfactl bulk plan":             (*BulkPlanOptions)(nil),
	"mfactl bulk status":           (*BulkStatusOptions)(nil),
	"mfactl default set":           (*DefaultSetOptions)(nil),
	"mfactl default show":          (*DefaultShowOptions)(nil),
	"mfactl email list":            (*KindListOptions)(nil),
	"mfactl enroll authenticator":  (*EnrollAuthenticatorOptions)(nil),
	"mfactl enroll email":          (*EnrollEmailOptions)(nil),
	"mfactl email remove":          (*KindRemoveOptions)(nil),
	"mfactl email set":             (*EmailSetOptions)(nil),
	"mfactl email show":            (*KindListOptions)(nil),
	"mfactl enroll app":            (*EnrollAppOptions)(nil),
	"mfactl enroll phone":          (*EnrollPhoneOptions)(nil),
	"mfactl enroll pin":            (*EnrollPINOptions)(nil),
	"mfactl enroll questions":      (*EnrollQuestionsOptions)(nil),
	"mfactl fido2 list":            (*KindListOptions)(nil),
	"mfactl fido2 remove":          (*KindRemoveOptions)(nil),
	"mfactl methods list":          (*UserReadOptions)(nil),
	"mfactl mfa-state set":         (*MFAStateOptions)(nil),
	"mfactl mfa-state show":        (*MFAStateOptions)(nil),
	"mfactl mock block":            (*MockUserStateOptions)(nil),
	"mfactl mock clock":            (*MockClockOptions)(nil),
	"mfactl mock clock advance":    (*MockClockOptions)(nil),
	"mfactl mock clock reset":      (*MockClockOptions)(nil),
	"mfactl mock clock set-offset": (*MockClockOptions)(nil),
	"mfactl mock clock show":       (*MockClockOptions)(nil),
	"mfactl mock code":             (*MockCodeOptions)(nil),
	"mfactl mock device approve":   (*MockDeviceOptions)(nil),
	"mfactl mock device deny":      (*MockDeviceOptions)(nil),
	"mfactl mock device pending":   (*MockDeviceOptions)(nil),
	"mfactl mock device report":    (*MockDeviceOptions)(nil),
	"mfactl mock health":           (*MockHealthOptions)(nil),
	"mfactl mock outbox":           (*MockOutboxOptions)(nil),
	"mfactl mock reset":            (*MockResetOptions)(nil),
	"mfactl mock seed":             (*MockSeedOptions)(nil),
	"mfactl mock serve":            (*MockServeOptions)(nil),
	"mfactl mock signin approve":   (*MockSigninApproveOptions)(nil),
	"mfactl mock unblock":          (*MockUserStateOptions)(nil),
	"mfactl mock verification":     (*MockUserStateOptions)(nil),
	"mfactl oath list":             (*KindListOptions)(nil),
	"mfactl oath remove":           (*KindRemoveOptions)(nil),
	"mfactl password reset":        (*PasswordResetOptions)(nil),
	"mfactl phone add":             (*PhoneSetOptions)(nil),
	"mfactl phone list":            (*KindListOptions)(nil),
	"mfactl phone remove":          (*PhoneRemoveOptions)(nil),
	"mfactl phone sms-signin":      (*PhoneSMSSignInOptions)(nil),
	"mfactl phone update":          (*PhoneSetOptions)(nil),
	"mfactl platform list":         (*KindListOptions)(nil),
	"mfactl platform remove":       (*KindRemoveOptions)(nil),
	"mfactl report coverage":       (*ReportCoverageOptions)(nil),
	"mfactl report diff":           (*ReportDiffOptions)(nil),
	"mfactl report tokens":         (*ReportTokensOptions)(nil),
	"mfactl reset":                 (*ResetOptions)(nil),
	"mfactl sessions revoke":       (*SessionsRevokeOptions)(nil),
	"mfactl tap create":            (*TAPCreateOptions)(nil),
	"mfactl tap remove":            (*KindRemoveOptions)(nil),
	"mfactl tap show":              (*KindListOptions)(nil),
	"mfactl token activate":        (*TokenActivateOptions)(nil),
	"mfactl token assign":          (*TokenAssignOptions)(nil),
	"mfactl token check":           (*TokenCheckOptions)(nil),
	"mfactl token delete":          (*TokenSerialOptions)(nil),
	"mfactl token import":          (*TokenImportOptions)(nil),
	"mfactl token list":            (*TokenListOptions)(nil),
	"mfactl token unassign":        (*TokenSerialOptions)(nil),
	"mfactl user show":             (*UserReadOptions)(nil),
	"mfactl verify":                (*VerifyOptions)(nil),
	"mfactl version":               (*VersionOptions)(nil),
	"mfactl whfb list":             (*KindListOptions)(nil),
	"mfactl whfb remove":           (*KindRemoveOptions)(nil),
}

// verbsWithoutOptions are the runnable commands that do not have the verb
// shape, and why.
var verbsWithoutOptions = map[string]string{
	"mfactl auth login":  "reads its flags through config.Load of its own flag set (they override the persistent ones)",
	"mfactl auth logout": "reads its flags through config.Load of its own flag set",
	"mfactl auth status": "reads its flags through config.Load of its own flag set",
	"mfactl config path": "no input: prints the config file's path",
	"mfactl config set":  "reads --profile through config.SelectedProfile of its flag set (a profile the file does not define yet)",
	"mfactl config show": "no input of its own: prints the Factory's resolved configuration",
	"mfactl config use":  "one argument, checked against the file by useProfile, which config set shares",
}

// TestEveryVerbHasOptionsWithValidate walks the command tree: every
// runnable leaf is in verbOptions (or verbsWithoutOptions), and each
// Options type has Validate() error and lists its dependencies as fields
// (no embedded struct other than the Mutation flag group).
func TestEveryVerbHasOptionsWithValidate(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(factory.New(ios, "test"))
	validate := reflect.TypeFor[interface{ Validate() error }]()
	allowedEmbeds := []reflect.Type{reflect.TypeFor[Mutation]()}
	seen := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := c.CommandPath()
		opts, shaped := verbOptions[path]
		_, exempt := verbsWithoutOptions[path]
		switch {
		case shaped:
			seen[path] = true
			typ := reflect.TypeOf(opts)
			if !typ.Implements(validate) {
				t.Errorf("%s: %s has no Validate() error", path, typ.Elem().Name())
			}
			for i := range typ.Elem().NumField() {
				if f := typ.Elem().Field(i); f.Anonymous && !slices.Contains(allowedEmbeds, f.Type) {
					t.Errorf("%s: %s embeds %s: list the dependencies it uses as fields", path, typ.Elem().Name(), f.Type)
				}
			}
		case exempt:
			seen[path] = true
		case c.Runnable() && !c.HasSubCommands():
			t.Errorf("%s: a verb without an entry in verbOptions (give it Options with Validate, as the other verbs)", path)
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	for path := range verbOptions {
		if !seen[path] {
			t.Errorf("verbOptions names %q, which is not a command", path)
		}
	}
	for path := range verbsWithoutOptions {
		if !seen[path] {
			t.Errorf("verbsWithoutOptions names %q, which is not a command", path)
		}
	}
}
