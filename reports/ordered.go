package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/mfactl/mfactl/internal/output"
)

// Percent returns part as a percentage of whole, rounded to one decimal (0
// when whole is 0). Every percentage of every report goes through it, so the
// JSON, the tables and the HTML page print the same numbers.
func Percent(part, whole int) float64 {
	if whole <= 0 {
		return 0
	}
	return math.Round(float64(part)*1000/float64(whole)) / 10
}

// Share is a count and its percentage of a base count.
type Share struct {
	Count   int     `json:"count"`
	Percent float64 `json:"percent"`
}

func shareOf(part, whole int) Share { return Share{Count: part, Percent: Percent(part, whole)} }

// Entry is one key of a Breakdown.
type Entry struct {
	Key string
	Share
}

// Breakdown is an ordered list of counts by key (users by class, users by
// method, tokens by status...). Its JSON form is an object whose keys keep
// the list order: {"phishingResistant":{"count":3,"percent":1.5},...}, so a
// value is addressed as breakdown.key.count.
type Breakdown []Entry

// Get returns the entry for key.
func (b Breakdown) Get(key string) (Share, bool) {
	for _, e := range b {
		if e.Key == key {
			return e.Share, true
		}
	}
	return Share{}, false
}

// MarshalJSON writes the breakdown as an object in list order.
func (b Breakdown) MarshalJSON() ([]byte, error) {
	return marshalOrdered(len(b), func(i int) (string, any) { return b[i].Key, b[i].Share })
}

// UnmarshalJSON reads the object form, keeping the key order.
func (b *Breakdown) UnmarshalJSON(data []byte) error {
	*b = Breakdown{}
	return unmarshalOrdered(data, func(key string, dec *json.Decoder) error {
		var s Share
		if err := dec.Decode(&s); err != nil {
			return err
		}
		*b = append(*b, Entry{Key: key, Share: s})
		return nil
	})
}

// Subject is a user (id and UPN) or a hardware token (id and serial number)
// concerned by a finding.
type Subject struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Finding is one finding of a summary: how many users (or tokens) it
// concerns, out of which base, and the first of them.
type Finding struct {
	ID    FindingID `json:"-"`
	Title string    `json:"title"`
	// Unit is "users" or "tokens".
	Unit string `json:"unit"`
	// Count of users (tokens) concerned, out of Of (the population the
	// finding applies to: all users, admins, disabled users or tokens).
	Count   int     `json:"count"`
	Of      int     `json:"of"`
	Percent float64 `json:"percent"`
	// Subjects lists the first SampleLimit users (tokens) in input order;
	// Omitted is how many more there are. The complete user lists are the
	// rows whose findings column names the finding.
	Subjects []Subject `json:"subjects"`
	Omitted  int       `json:"omitted"`
}

// OfText is the finding's population as read: "12 users", "1 user",
// "1 token".
func (f Finding) OfText() string {
	if f.Of == 1 {
		return fmt.Sprintf("1 %s", strings.TrimSuffix(f.Unit, "s"))
	}
	return fmt.Sprintf("%d %s", f.Of, f.Unit)
}

// Findings is an ordered list of findings whose JSON form is an object keyed
// by finding id, in report order.
type Findings []Finding

// Get returns the finding with id.
func (fs Findings) Get(id FindingID) (Finding, bool) {
	for _, f := range fs {
		if f.ID == id {
			return f, true
		}
	}
	return Finding{}, false
}

// MarshalJSON writes the findings as an object in list order.
func (fs Findings) MarshalJSON() ([]byte, error) {
	return marshalOrdered(len(fs), func(i int) (string, any) { return string(fs[i].ID), fs[i] })
}

// UnmarshalJSON reads the object form, keeping the key order.
func (fs *Findings) UnmarshalJSON(data []byte) error {
	*fs = Findings{}
	return unmarshalOrdered(data, func(key string, dec *json.Decoder) error {
		var f Finding
		if err := dec.Decode(&f); err != nil {
			return err
		}
		f.ID = FindingID(key)
		*fs = append(*fs, f)
		return nil
	})
}

func marshalOrdered(n int, item func(i int) (string, any)) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		key, value := item(i)
		k, err := output.Marshal(key)
		if err != nil {
			return nil, err
		}
		v, err := output.Marshal(value)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func unmarshalOrdered(data []byte, value func(key string, dec *json.Decoder) error) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil { // null
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("want a JSON object, got %v", tok)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("want an object key, got %v", tok)
		}
		if err := value(key, dec); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	_, err = dec.Token()
	return err
}
