// Package reports builds mfactl's audit reports (mfactl report coverage,
// tokens and diff) from data it is handed through iterators. It never fetches
// anything: graph/ pages userRegistrationDetails, lists users and batches
// their method lists, reads the token inventory, and passes the results in.
//
// # Coverage
//
// A fetcher yields one UserInput per user, from either source:
//
//   - registration (SourceRegistration): fill a RegistrationDetails from a
//     userRegistrationDetails object and call its Input method with the
//     user's accountEnabled (the report has none). MethodsFromRegistration
//     maps methodsRegistered to methods; DefaultFromRegistration maps the
//     default method.
//   - methods (SourceMethods): the user from /users (with userType and
//     accountEnabled), IsAdmin from role membership, the method list and
//     signInPreferences.userPreferredMethodForSecondaryAuthentication.
//
// WriteCoverage(ctx, w, users, tokens, CoverageOptions) computes a Row per
// user (Compute), applies the Filter (ParseFilter), feeds the Accumulator and
// streams the rows to the renderer of the chosen Format; then it reads the
// token iterator (optional) and writes the Summary. WriteFileAtomic (or
// CreateAtomic) gives --out a file that appears complete or not at all.
//
// Both sources give identical rows for the same user, because a row depends
// only on the set of canonical method names (MethodName): mobilePhone,
// alternateMobilePhone, officePhone (phones by phone type), email, fido2,
// microsoftAuthenticator, softwareOath, hardwareOath, temporaryAccessPass,
// windowsHelloForBusiness, platformCredential, plus "phone" (a phone without
// phoneType) and "unknown" (a method type mfactl does not know). The
// registration values map as follows (case-insensitive):
//
//	mobilePhone, alternateMobilePhone, officePhone  -> the same name
//	email                                           -> email
//	fido2, fido2SecurityKey, passKeyDeviceBound,
//	passKeyDeviceBoundAuthenticator,
//	passKeyDeviceBoundWindowsHello, passKeySynced   -> fido2
//	microsoftAuthenticatorPush,
//	microsoftAuthenticatorPasswordless              -> microsoftAuthenticator
//	softwareOneTimePasscode                         -> softwareOath
//	hardwareOneTimePasscode                         -> hardwareOath
//	temporaryAccessPass                             -> temporaryAccessPass
//	windowsHelloForBusiness                         -> windowsHelloForBusiness
//	macOsSecureEnclaveKey, platformCredential       -> platformCredential
//	password, securityQuestion, appPassword, none   -> dropped (not listed by the methods API)
//	anything else                                   -> unknown (and reported to the caller)
//
// RegistrationNames is the inverse, for a mock that derives registration
// details from stored methods. Several devices of one type count once (the
// registration report cannot tell them apart), so a second Authenticator is
// not a backup.
//
// # Row semantics
//
// methods lists every registered method but the password; methodCount is its
// length. MFA methods are those whose methods.ClassOf is not none (email and
// TAP are not). mfaCapable: one MFA method or more; hasBackup: two or more;
// smsVoiceOnly: at least one and all phones; strongestClass: the best
// methods.Class; phishingResistant: strongestClass is phishingResistant.
// userType is "member" or "guest"; an unset accountEnabled counts as enabled.
// findings lists the user findings that apply: noMfaMethod, singleMfaMethod,
// smsVoiceOnly, adminWithoutPhishingResistant, disabledWithMethods (disabled
// and holding any method but the password), temporaryAccessPass (holding a
// TAP, usable or not: the registration report cannot tell).
//
// # Summary
//
// The Accumulator keeps counts and, per finding, the first SampleLimit
// subjects (default 50): memory does not depend on the number of users. The
// complete list of a finding is the set of rows whose findings column names
// it. Token findings (tokenUnassigned: status available or no status and no
// assignee; tokenNotActivated: assigned or failedActivation) come from the
// token inventory. Sources says how many users (tokens) each source provided,
// with the planner's scope text (CoverageOptions.SourceScopes). Percentages
// have one decimal (Percent) and are of the finding's base population, named
// in its "of" field: all users, admins (adminWithoutPhishingResistant),
// disabled users (disabledWithMethods) or tokens.
//
// Every number of the summary has a dotted path: users.total,
// users.<mfaCapable|hasBackup|phishingResistant|smsVoiceOnly|admins|members|guests|enabled|disabled>.<count|percent>,
// classes.<class>.<count|percent>, methods.<name>.<count|percent>,
// findings.<id>.<count|of|percent>, tokens.total,
// tokens.byStatus.<status>.count. The HTML page shows each of them in an
// element with data-metric="<path>" whose text is the JSON number.
//
// # Formats
//
//   - table: rows in a streamed table (fixed column widths, cells wrapped),
//     then the summary tables.
//   - csv: a header (CSVHeader) and one line per user; lists joined with ";";
//     cells starting with = + - @ tab or CR are prefixed with ' (formula
//     injection). No summary.
//   - json: {"users":[one row per line],"summary":{...}}. Users come first so
//     rows stream without a temporary file; ReadCoverage accepts either order.
//   - md: the summary, then the user table (rows spooled to an unlinked
//     temporary file in RenderOptions.TempDir).
//   - html: one self-contained page (inline CSS, JS and SVG, no URL; a
//     Content-Security-Policy allowing only the page's own style and script
//     by hash): totals, charts of coverage by class, methods distribution and
//     findings, the findings' users, the token inventory, and the user table,
//     which the script makes sortable and filterable. Without JS everything
//     but sorting and filtering is there. A print stylesheet hides the
//     controls. Rows are spooled like md.
//
// # Tokens and diff
//
// WriteTokenReport renders the hardware token inventory by status,
// manufacturer and model (table, csv, json, md). WriteDiff compares two JSON
// coverage reports (Diff): users who gained or lost MFA, a backup or a
// phishing-resistant method, became or stopped being SMS/voice-only, and new
// and removed users, as table, csv, json ({"changes":[...],"summary":{...}})
// or md. It holds the old report as a map of id to UPN, flags and class and
// streams the new one.
package reports
