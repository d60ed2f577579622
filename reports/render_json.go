package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// jsonRenderer streams {"users":[...],"summary":{...}}: one row per line as
// rows come, then the indented summary. The users come first because the
// summary is only known at the end; readers look the keys up by name
// (ReadCoverage accepts either order).
type jsonRenderer struct {
	out   *bufio.Writer
	buf   bytes.Buffer
	enc   *json.Encoder
	rows  int
	begun bool
}

func newJSONRenderer(w io.Writer) *jsonRenderer {
	j := &jsonRenderer{out: bufio.NewWriterSize(w, 64<<10)}
	j.enc = json.NewEncoder(&j.buf)
	j.enc.SetEscapeHTML(false)
	return j
}

func (j *jsonRenderer) begin() error {
	if j.begun {
		return nil
	}
	j.begun = true
	_, err := j.out.WriteString("{\"users\":[\n")
	return err
}

// encode marshals v into j.buf without the encoder's trailing newline.
func (j *jsonRenderer) encode(v any) ([]byte, error) {
	j.buf.Reset()
	if err := j.enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(j.buf.Bytes(), []byte("\n")), nil
}

func (j *jsonRenderer) WriteRow(r Row) error {
	if err := j.begin(); err != nil {
		return err
	}
	return j.writeElement(r)
}

// writeElement writes v as the next element of the open array.
func (j *jsonRenderer) writeElement(v any) error {
	b, err := j.encode(v)
	if err != nil {
		return err
	}
	if j.rows > 0 {
		if _, err := j.out.WriteString(",\n"); err != nil {
			return err
		}
	}
	j.rows++
	_, err = j.out.Write(b)
	return err
}

func (j *jsonRenderer) Finish(s Summary) error {
	if err := j.begin(); err != nil {
		return err
	}
	j.enc.SetIndent("", "  ")
	b, err := j.encode(s)
	if err != nil {
		return err
	}
	sep := "\n],\n\"summary\":"
	if j.rows == 0 {
		sep = "],\n\"summary\":"
	}
	if _, err := j.out.WriteString(sep); err != nil {
		return err
	}
	if _, err := j.out.Write(b); err != nil {
		return err
	}
	if _, err := j.out.WriteString("}\n"); err != nil {
		return err
	}
	return j.out.Flush()
}

func (j *jsonRenderer) Close() error { return nil }
