package bulk

import (
	"fmt"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// Parsers are the checks of single values that the single-user verbs
// already make; the cmd package passes its own, so a bulk row is held to
// exactly what `phone add`, `email set` and `tap create` accept.
type Parsers struct {
	// User checks a user reference (graph.ValidateUserRef: a UPN or an
	// object id).
	User func(ref string) error
	// Phone parses a number of a phone type (methods.ParsePhone with the
	// default country of --country).
	Phone func(number string, t methods.PhoneType) (methods.Phone, error)
	// Email checks an address and returns it clean.
	Email func(address string) (string, error)
	// Lifetime parses a TAP lifetime such as 8h or 1d.
	Lifetime func(s string) (time.Duration, error)
}

// PhoneWant is what a row asks of one phone type.
type PhoneWant struct {
	Set    bool   // a number is given
	Remove bool   // the cell is "-"
	Number string // Entra's form (+1 4255550100)
}

// TAPWant is a row's Temporary Access Pass.
type TAPWant struct {
	Minutes int
	Once    bool
}

// Selector is one entry of the remove column: a method type, a phone
// type, sms (the mobile phone, the only phone that receives texts), or a
// type with a method id (fido2:<id>).
type Selector struct {
	Kind      methods.Kind
	PhoneType methods.PhoneType
	ID        string
	Text      string // as written, for messages
}

// Desired is a row with its cells checked and parsed.
type Desired struct {
	Line      int
	User      string
	Phones    map[methods.PhoneType]PhoneWant
	Email     PhoneWant // Number holds the address
	SMSSignIn string    // "", "enabled" or "disabled"
	Default   methods.DefaultMethod
	TAP       *TAPWant
	Remove    []Selector
	Revoke    bool
	MFAState  methods.MFAState
}

// Empty reports whether the row asks for nothing.
func (d Desired) Empty() bool {
	return len(d.Phones) == 0 && !d.Email.Set && !d.Email.Remove && d.SMSSignIn == "" && d.Default == "" &&
		d.TAP == nil && len(d.Remove) == 0 && !d.Revoke && d.MFAState == ""
}

// phoneColumns maps the phone columns to their types, in the order Entra
// needs them added (an alternateMobile needs a mobile).
var phoneColumns = []struct {
	col string
	typ methods.PhoneType
}{{ColMobile, methods.PhoneMobile}, {ColAlternateMobile, methods.PhoneAlternateMobile}, {ColOffice, methods.PhoneOffice}}

// removable maps the words of the remove column to method types.
var removable = map[string]methods.Kind{
	"email": methods.KindEmail, "fido2": methods.KindFido2, "microsoftauthenticator": methods.KindAuthenticator,
	"authenticator": methods.KindAuthenticator, "softwareoath": methods.KindSoftwareOath, "temporaryaccesspass": methods.KindTemporaryAccess,
	"tap": methods.KindTemporaryAccess, "windowshelloforbusiness": methods.KindWindowsHello, "platformcredential": methods.KindPlatformCredential,
	"phone": methods.KindPhone,
}

// removeWords lists the remove column's words for messages.
const removeWords = "sms, phone, mobile, alternateMobile, office, email, microsoftAuthenticator, softwareOath, fido2, windowsHelloForBusiness, platformCredential, temporaryAccessPass, or TYPE:ID"

// ParseRow checks every cell of a row and returns what it asks for, or
// every problem found (each naming its column), so one pass over a file
// names all bad rows.
func ParseRow(r Row, p Parsers) (Desired, []*RowError) {
	d := Desired{Line: r.Line, Phones: map[methods.PhoneType]PhoneWant{}}
	var errs []*RowError
	bad := func(col, format string, args ...any) {
		errs = append(errs, &RowError{Line: r.Line, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	d.User = r.Get(ColUser)
	if d.User == "" {
		bad(ColUser, "is empty: give the user principal name or object id")
	} else if err := p.User(d.User); err != nil {
		bad(ColUser, "%v", err)
	}
	for _, pc := range phoneColumns {
		v := r.Get(pc.col)
		switch v {
		case "":
		case Remove:
			d.Phones[pc.typ] = PhoneWant{Remove: true}
		default:
			ph, err := p.Phone(v, pc.typ)
			if err != nil {
				bad(pc.col, "%v", err)
				continue
			}
			d.Phones[pc.typ] = PhoneWant{Set: true, Number: ph.Entra()}
		}
	}
	switch v := r.Get(ColEmail); v {
	case "":
	case Remove:
		d.Email = PhoneWant{Remove: true}
	default:
		addr, err := p.Email(v)
		if err != nil {
			bad(ColEmail, "%v", err)
		} else {
			d.Email = PhoneWant{Set: true, Number: addr}
		}
	}
	switch v := strings.ToLower(r.Get(ColSMSSignIn)); v {
	case "":
	case "enabled", "disabled":
		d.SMSSignIn = v
	default:
		bad(ColSMSSignIn, "%q: write enabled or disabled", oneLine(v))
	}
	if v := r.Get(ColDefault); v != "" {
		def, err := methods.ParseDefaultMethod(v)
		if err != nil {
			bad(ColDefault, "%v", err)
		}
		d.Default = def
	}
	if v := r.Get(ColTAP); v != "" {
		fields := strings.Fields(v)
		once := false
		if len(fields) == 2 && strings.EqualFold(fields[1], "once") {
			once, fields = true, fields[:1]
		}
		if len(fields) != 1 {
			bad(ColTAP, "%q: write a lifetime such as 8h, optionally followed by once (8h once)", oneLine(v))
		} else if life, err := p.Lifetime(fields[0]); err != nil {
			bad(ColTAP, "%v", err)
		} else if life%time.Minute != 0 || life < time.Minute {
			bad(ColTAP, "%q: the lifetime must be whole minutes", oneLine(v))
		} else {
			d.TAP = &TAPWant{Minutes: int(life / time.Minute), Once: once}
		}
	}
	if v := r.Get(ColRemove); v != "" {
		for _, w := range strings.Split(v, ";") {
			w = strings.TrimSpace(w)
			if w == "" {
				continue
			}
			sel, err := parseSelector(w)
			if err != nil {
				bad(ColRemove, "%v", err)
				continue
			}
			d.Remove = append(d.Remove, sel)
		}
	}
	switch v := strings.ToLower(r.Get(ColRevokeSessions)); v {
	case "", "no":
	case "yes":
		d.Revoke = true
	default:
		bad(ColRevokeSessions, "%q: write yes (or leave the cell empty)", oneLine(v))
	}
	if v := r.Get(ColMFAState); v != "" {
		st, err := methods.ParseMFAState(v)
		if err != nil {
			bad(ColMFAState, "%v", err)
		}
		d.MFAState = st
	}
	errs = append(errs, contradictions(d)...)
	return d, errs
}

// contradictions finds cells of one row that ask for opposite things.
func contradictions(d Desired) []*RowError {
	var errs []*RowError
	bad := func(col, format string, args ...any) {
		errs = append(errs, &RowError{Line: d.Line, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	for _, s := range d.Remove {
		switch {
		case s.Kind == methods.KindPhone && s.ID == "":
			for _, pc := range phoneColumns {
				if d.Phones[pc.typ].Set && (s.PhoneType == "" || s.PhoneType == pc.typ) {
					bad(ColRemove, "%s removes the %s phone the %s column sets", s.Text, pc.typ, pc.col)
				}
			}
		case s.Kind == methods.KindEmail && d.Email.Set:
			bad(ColRemove, "%s removes the email method the email column sets", s.Text)
		case s.Kind == methods.KindTemporaryAccess && d.TAP != nil:
			bad(ColRemove, "%s removes the Temporary Access Pass the tap column issues", s.Text)
		}
	}
	if d.SMSSignIn == "enabled" && d.Phones[methods.PhoneMobile].Remove {
		bad(ColSMSSignIn, "enabled needs the mobile phone, which the mobile column removes")
	}
	return errs
}

func parseSelector(w string) (Selector, error) {
	sel := Selector{Text: w}
	word, id, hasID := strings.Cut(w, ":")
	lw := strings.ToLower(strings.TrimSpace(word))
	if hasID {
		id = strings.TrimSpace(id)
		if id == "" || strings.ContainsAny(id, "/?#\\ ") {
			return sel, fmt.Errorf("%q: the method id after %s: is missing or malformed", oneLine(w), word)
		}
		sel.ID = id
	}
	switch lw {
	case "sms", "mobile":
		sel.Kind, sel.PhoneType = methods.KindPhone, methods.PhoneMobile
	case "alternatemobile":
		sel.Kind, sel.PhoneType = methods.KindPhone, methods.PhoneAlternateMobile
	case "office":
		sel.Kind, sel.PhoneType = methods.KindPhone, methods.PhoneOffice
	case "hardwareoath":
		return sel, fmt.Errorf("%q: hardware OATH tokens are unassigned, not removed: use token unassign", oneLine(w))
	case "password":
		return sel, fmt.Errorf("%q: the password cannot be removed", oneLine(w))
	default:
		k, ok := removable[lw]
		if !ok {
			return sel, fmt.Errorf("%q is not a method to remove; write %s", oneLine(w), removeWords)
		}
		sel.Kind = k
	}
	if hasID && sel.PhoneType != "" {
		return sel, fmt.Errorf("%q: a phone is named by its type (mobile, alternateMobile, office), not an id", oneLine(w))
	}
	return sel, nil
}

// ApplyDefaults fills the row's empty cells from --set col=value.
func ApplyDefaults(r Row, defaults map[string]string) Row {
	if len(defaults) == 0 {
		return r
	}
	cells := make(map[string]string, len(r.Cells)+len(defaults))
	for k, v := range r.Cells {
		cells[k] = v
	}
	for k, v := range defaults {
		if strings.TrimSpace(cells[k]) == "" {
			cells[k] = v
		}
	}
	r.Cells = cells
	return r
}

// ParseSet reads one --set col=value.
func ParseSet(s string) (string, string, error) {
	k, v, ok := strings.Cut(s, "=")
	col := CanonicalColumn(k)
	switch {
	case !ok:
		return "", "", fmt.Errorf("--set %q: write COLUMN=VALUE, such as remove=sms", oneLine(s))
	case col == "":
		return "", "", fmt.Errorf("--set %q: %q is not a column; the columns are %s", oneLine(s), oneLine(k), strings.Join(Columns, ", "))
	case col == ColUser:
		return "", "", fmt.Errorf("--set: the user column cannot have a default")
	}
	return col, strings.TrimSpace(v), nil
}
