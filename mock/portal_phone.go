package mock

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
	"github.com/mfactl/mfactl/mock/store"
)

// The emulated phone (issue 17): a page of its own (/portal/phone?user=),
// so a person can keep it open beside the portal and play both sides. It
// shows what the user's phone would: texts and calls from the outbox,
// calls to answer with keys, Authenticator notifications to approve with
// the number or deny, and the codes the user's authenticator apps show
// now. It reads and acts only through the /_mock/ endpoints the CLI's
// `mock outbox`, `mock device` and `mock code` use.

type panelPush struct {
	ChallengeID string
	Sent        string
}

type panelCode struct {
	Label    string
	Code     string
	ValidFor int
}

type panelCall struct {
	ChallengeID string
	To          string
	Text        string
	Answered    bool
	PIN         bool
}

type panelMessage struct {
	At, Kind, To, Text string
}

type phonePanel struct {
	UPN, Name string
	Users     []userChoice
	Pushes    []panelPush
	Codes     []panelCode
	Calls     []panelCall
	Messages  []panelMessage
	version   string
}

// maxPanelMessages bounds the messages the panel lists (newest first).
const maxPanelMessages = 20

// panelUser is the user whose phone the panel shows: ?user=, else the
// signed-in user, else the one signing in.
func (p *portal) panelUser(r *http.Request, sess *portalSession) string {
	if u := strings.TrimSpace(r.URL.Query().Get("user")); u != "" {
		return u
	}
	if u := strings.TrimSpace(r.PostFormValue("user")); u != "" {
		return u
	}
	var ref string
	p.with(sess, func(s *portalSession) {
		switch {
		case s.upn != "":
			ref = s.upn
		case s.signin != nil:
			ref = s.signin.upn
		}
	})
	return ref
}

// loadPanel gathers the phone's state through the emulator's endpoints.
func (p *portal) loadPanel(ref string) (*phonePanel, error) {
	u, err := p.loadUser(ref)
	if err != nil {
		return nil, err
	}
	id := url.PathEscape(u.rec.ID)
	d := &phonePanel{UPN: u.rec.UPN, Name: u.rec.DisplayName}
	ver := fnv.New64a()

	var pushes struct {
		Value []verify.PushPrompt `json:"value"`
	}
	if err := p.s.portalCall(nil, "GET", "/_mock/users/"+id+"/device/pending", nil, &pushes); err != nil {
		return nil, err
	}
	for _, pp := range pushes.Value {
		d.Pushes = append(d.Pushes, panelPush{ChallengeID: pp.ChallengeID, Sent: pp.CreatedAt.Format("15:04:05")})
		fmt.Fprint(ver, "p", pp.ChallengeID)
	}

	for _, m := range u.methods {
		if m.Kind != methods.KindSoftwareOath && m.Kind != methods.KindHardwareOath {
			continue
		}
		var cc CurrentCode
		if err := p.s.portalCall(nil, "GET", "/_mock/users/"+id+"/code?methodId="+url.QueryEscape(m.ID), nil, &cc); err != nil {
			continue // a token not activated shows no code
		}
		label := "Authenticator app (" + u.rec.UPN + ")"
		if cc.SerialNumber != "" {
			label = "Hardware token " + cc.SerialNumber
		}
		left := int(time.Until(cc.ValidUntil.Add(-p.s.clockOffset())).Seconds())
		d.Codes = append(d.Codes, panelCode{Label: label, Code: cc.Code[:len(cc.Code)/2] + " " + cc.Code[len(cc.Code)/2:], ValidFor: max(left, 0)})
		fmt.Fprint(ver, "c", cc.MethodID, cc.Step)
	}

	var box Outbox
	if err := p.s.portalCall(nil, "GET", "/_mock/outbox?user="+url.QueryEscape(u.rec.ID), nil, &box); err != nil {
		return nil, err
	}
	fmt.Fprint(ver, "o", box.Cursor)
	seen := map[string]bool{}
	for i := len(box.Value) - 1; i >= 0; i-- {
		m := box.Value[i]
		if len(d.Messages) < maxPanelMessages {
			// Emails are listed with the texts: the panel is the user's
			// phone and mailbox.
			kind := map[verify.Channel]string{verify.ChannelSMS: "Text message", verify.ChannelVoice: "Call", verify.ChannelPush: "Notification", verify.ChannelEmail: "Email"}[m.Channel]
			to := m.To
			if m.Channel == verify.ChannelPush {
				to = "Microsoft Authenticator"
			}
			d.Messages = append(d.Messages, panelMessage{At: m.At.Format("15:04:05"), Kind: kind, To: to, Text: m.Text})
		}
		if m.Channel != verify.ChannelVoice || seen[m.ChallengeID] {
			continue
		}
		seen[m.ChallengeID] = true
		res, err := p.challenge(m.ChallengeID)
		if err != nil || res.Challenge == nil || !res.Challenge.State.Open() {
			continue
		}
		c := res.Challenge
		if c.Method != verify.MethodVoice && c.Method != verify.MethodVoicePIN {
			continue
		}
		d.Calls = append(d.Calls, panelCall{ChallengeID: c.ID, To: m.To, Text: m.Text, Answered: !c.AnsweredAt.IsZero(), PIN: c.Method == verify.MethodVoicePIN})
		fmt.Fprint(ver, "v", c.ID, !c.AnsweredAt.IsZero(), c.Attempts)
	}
	d.version = fmt.Sprintf("%x", ver.Sum64())
	return d, nil
}

func (p *portal) getPhonePanel(w http.ResponseWriter, r *http.Request) {
	sess := p.ensureSession(w, r)
	ref := p.panelUser(r, sess)
	if ref == "" {
		var users []userChoice
		_ = p.s.store.View(func(tx store.Tx) error {
			return store.ScanJSON(tx, bucketUsers, "", "", func(_ string, u userRecord) (bool, error) {
				users = append(users, userChoice{UPN: u.UPN, Name: u.DisplayName})
				return len(users) < maxAccounts, nil
			})
		})
		slices.SortFunc(users, func(a, b userChoice) int { return strings.Compare(a.Name, b.Name) })
		p.render(w, http.StatusOK, "phonepanel", sess, pageData{Title: "Emulated phone", Data: &phonePanel{Users: users}})
		return
	}
	d, err := p.loadPanel(ref)
	if err != nil {
		p.render(w, http.StatusOK, "phonepanel", sess, pageData{Title: "Emulated phone", Error: portalError(err), Data: &phonePanel{}})
		return
	}
	p.render(w, http.StatusOK, "phonepanel", sess, pageData{Title: "Emulated phone", Data: d,
		Poll: portalPrefix + "/phone/state?user=" + url.QueryEscape(d.UPN), Version: d.version})
}

// getPhoneState is what the panel polls: a digest of its state, which
// changes when something arrives, a call is answered or a code rolls.
func (p *portal) getPhonePanelState(w http.ResponseWriter, r *http.Request) {
	sess := p.ensureSession(w, r)
	d, err := p.loadPanel(p.panelUser(r, sess))
	if err != nil {
		writeState(w, "none")
		return
	}
	writeState(w, d.version)
}

// postPhoneAction is the phone acting: approve (with the number), deny or
// report a notification; answer or decline a call; press keys.
func (p *portal) postPhoneAction(w http.ResponseWriter, r *http.Request) {
	sess := p.ensureSession(w, r)
	ref := p.panelUser(r, sess)
	u, err := p.loadUser(ref)
	if err != nil {
		p.render(w, http.StatusOK, "phonepanel", sess, pageData{Title: "Emulated phone", Error: portalError(err), Data: &phonePanel{}})
		return
	}
	id := url.PathEscape(u.rec.ID)
	challenge := r.PostFormValue("challenge")
	cid := url.PathEscape(challenge)
	var out VerifyResponse
	switch r.PostFormValue("action") {
	case "approve":
		err = p.s.portalCall(nil, "POST", "/_mock/users/"+id+"/device/approve",
			map[string]any{"challengeId": challenge, "number": atoiOr(r.PostFormValue("number"), 0)}, &out)
	case "deny":
		err = p.s.portalCall(nil, "POST", "/_mock/users/"+id+"/device/deny", map[string]any{"challengeId": challenge}, &out)
	case "report":
		err = p.s.portalCall(nil, "POST", "/_mock/users/"+id+"/device/report", map[string]any{"challengeId": challenge}, &out)
	case "answer":
		err = p.s.portalCall(nil, "POST", "/_mock/verify/challenges/"+cid+"/answer", nil, &out)
	case "decline":
		err = p.s.portalCall(nil, "POST", "/_mock/verify/challenges/"+cid+"/miss", nil, &out)
	case "keys":
		err = p.s.portalCall(nil, "POST", "/_mock/verify/challenges/"+cid+"/keys", map[string]string{"keys": r.PostFormValue("keys")}, &out)
	default:
		err = p.authenticatorAction(r, u)
	}
	msg := ""
	switch {
	case err != nil:
		msg = portalError(err)
	case out.Verdict != nil:
		msg = verdictSentence(out.Verdict)
	}
	if msg != "" {
		d, lerr := p.loadPanel(u.rec.UPN)
		if lerr != nil {
			d = &phonePanel{}
		}
		p.render(w, http.StatusOK, "phonepanel", sess, pageData{Title: "Emulated phone", Error: msg, Data: d})
		return
	}
	if r.PostFormValue("action") == "activate" {
		p.setFlash(sess, "Account added. Choose Next on the sign-in page.")
	}
	redirect(w, r, portalPrefix+"/phone?user="+url.QueryEscape(u.rec.UPN))
}
