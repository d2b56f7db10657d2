package metrics

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ContentType is the Prometheus text exposition format's
// (https://prometheus.io/docs/instrumenting/exposition_formats/).
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// text builds an exposition: each family's HELP and TYPE lines, then its samples.
type text struct {
	strings.Builder
}

// family starts a metric family of kind counter, gauge, histogram or summary.
func (t *text) family(name, kind, help string) {
	fmt.Fprintf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, kind)
}

// sample writes one sample; labels are name, value pairs.
func (t *text) sample(name string, v float64, labels ...string) {
	t.WriteString(name)
	for i := 0; i+1 < len(labels); i += 2 {
		if i == 0 {
			t.WriteByte('{')
		} else {
			t.WriteByte(',')
		}
		t.WriteString(labels[i])
		t.WriteString(`="`)
		t.WriteString(labelEscaper.Replace(labels[i+1]))
		t.WriteByte('"')
	}
	if len(labels) > 1 {
		t.WriteByte('}')
	}
	t.WriteByte(' ')
	t.WriteString(formatFloat(v))
	t.WriteByte('\n')
}

// single writes a family of one unlabelled sample.
func (t *text) single(name, kind, help string, v float64) {
	t.family(name, kind, help)
	t.sample(name, v)
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
